import type { PresenceEvent } from "../chat/hub.ts";
import type { ChatMessage } from "../chat/message.ts";

/** What travels between the nodes of a room. */
export type RoomEvent =
  | { type: "message"; message: ChatMessage }
  | { type: "presence"; presence: PresenceEvent }
  | { type: "delete"; room: string; seq: number };

export type RoomEventHandler = (room: string, event: RoomEvent) => void;

/**
 * Fan-out between nodes. `publish` delivers to every node subscribed to the room,
 * this one included, through the handler given to `onEvent`. Messages of one room may
 * arrive out of `seq` order from different nodes; receivers order them by `seq`.
 */
export interface Broker {
  onEvent(handler: RoomEventHandler): void;
  publish(room: string, event: RoomEvent): Promise<void>;
  /** Resolves once events of `room` published from now on will reach this node. */
  subscribe(room: string): Promise<void>;
  unsubscribe(room: string): Promise<void>;
  /** Resolves when the broker answers; for readiness checks. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
