import type { Broker } from "../broker/broker.ts";
import type { ErrorCode } from "../chat/errors.ts";
import type { Presence } from "../presence/presence.ts";
import type { HistoryStore } from "../store/history-store.ts";
import type { SearchIndex } from "../store/search.ts";
import type { RoomDelivery } from "../transport/client-link.ts";
import type { FileAttachments } from "./conversation/attach.ts";
import type { UserAccessOptions } from "./user-access.ts";

export interface ChatServiceOptions {
  store: HistoryStore;
  broker: Broker;
  /** Delivers events to a room's live members on this node (the gateway). */
  delivery: RoomDelivery;
  random: () => number;
  now: () => number;
  historyLimit: number;
  maxHistoryLimit: number;
  maxRoomsPerMember: number;
  /** true: the nickname is banned, and taking it is refused. */
  nickBanned?: (nick: string) => boolean;
  /** Told how each rename ended: `changed`, `reclaimed`, or the refusal's error code (for metrics). */
  nickRequested?: (result: string) => void;
  /** Told of each refusal sent to a client (an `error` event or a text ` .... error:` line), for metrics. */
  refused?: (code: ErrorCode) => void;
  /** Told of each `history` request refused because too many were waiting (for metrics). */
  busy?: () => void;
  /** Told of each resume from `since`: complete, or with part of the gap lost (for metrics). */
  resumed?: (complete: boolean) => void;
  /** Full-text search over the history (`search`); without it a search is answered `unavailable`. */
  search?: SearchIndex;
  /** Files in messages (`upload_ticket`, `send` with `file`); without it both are answered `unavailable`. */
  files?: FileAttachments;
  /** Who is where across nodes; this node alone when not given. */
  presence?: Presence;
  /** This node's id in the cluster (owners of nicknames are `node:member`). */
  nodeId?: string;
  /** How long a gap in a room's seq may stay open before it is read from the store. */
  gapWaitMs?: number;
  /** Signed-in users, private rooms, typing, read positions. */
  userAccess: UserAccessOptions;
  /** Told of work that failed with no client request to answer (`what`: a fixed label), to log it. */
  report?: (what: string, error: unknown) => void;
}
