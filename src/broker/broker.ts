import type { PresenceEvent } from "../chat/hub.ts";
import type { ChatMessage } from "../chat/message.ts";

/** What travels between the nodes of a room. */
export type RoomEvent =
  | { type: "message"; message: ChatMessage }
  | { type: "presence"; presence: PresenceEvent }
  | { type: "delete"; room: string; seq: number }
  /** Someone in the room is typing: relayed to the room's other JSON members, never stored. */
  | { type: "typing"; room: string; nick: string }
  /** A signed-in user's read position moved; published on the user's channel (`userChannel`). */
  | { type: "read"; user: string; room: string; seq: number; unread: number }
  /** An administrator made a room private or public; published on `ACCESS_CHANNEL` to every node. */
  | { type: "access"; room: string; private: boolean }
  /**
   * `@nick` named a signed-in `user` in a message (on the user's channel), or `@room`/`@here` its
   * room (no `user`, on the room's channel).
   */
  | {
      type: "mention";
      user?: string;
      room: string;
      seq: number;
      nick: string;
      text: string;
      ts: number;
      /** For a `user`: their mentions in the room not yet read, this one included. */
      mentions?: number;
    }
  /**
   * A client reconnected and took its nickname back with its reconnect key: the node of the old
   * connection (`owner`, `node:member`) drops it without a leave. Published on `ACCESS_CHANNEL`.
   */
  | { type: "reclaimed"; owner: string };

export type RoomEventHandler = (room: string, event: RoomEvent) => void;

/**
 * Fan-out between nodes. `publish` delivers to every node subscribed to the room,
 * this one included, through the handler given to `onEvent`. Messages of one room may
 * arrive out of `seq` order from different nodes; receivers order them by `seq`.
 */
export interface Broker {
  /**
   * true when every message reaches this node once, in the order it was published, and none
   * is lost (one process); false when receivers must order by `seq` and fill gaps from the store.
   */
  readonly ordered: boolean;
  onEvent(handler: RoomEventHandler): void;
  /** `handler` runs when events may have been lost (the link came back): re-read from the store. */
  onResync(handler: () => void): void;
  publish(room: string, event: RoomEvent): Promise<void>;
  /** Resolves once events of `room` published from now on will reach this node. */
  subscribe(room: string): Promise<void>;
  unsubscribe(room: string): Promise<void>;
  /** Resolves when the broker answers; for readiness checks. */
  ping(): Promise<void>;
  /** Counters for health and metrics; failures are counted here, never swallowed silently. */
  stats(): BrokerStats;
  close(): Promise<void>;
}

export interface BrokerStats {
  published: number;
  /** Publishes that did not reach the other nodes (they recover from the store). */
  publishFailures: number;
  /** Events received from other nodes. */
  received: number;
  /** Times the link to the broker came back after being lost. */
  reconnects: number;
  connected: boolean;
}
