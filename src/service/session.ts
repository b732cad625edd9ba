import type { Member } from "../chat/hub.ts";
import type { Identity } from "../chat/identity.ts";
import type { ChatMessage } from "../chat/message.ts";
import type { SmallMap } from "../chat/small-collections.ts";
import type { Connection } from "../transport/connection.ts";

/** A member's view of one room: catching up on history, or on the room's live stream. */
export interface RoomSub {
  live: boolean;
  /** Live messages that arrived while catching up; sent after the history, without repeats. */
  backlog: ChatMessage[];
}

/** What the service keeps per connection; the hub's member carries it. */
export interface Session {
  readonly conn: Connection;
  member: Member<Session>;
  readonly subs: SmallMap<string, RoomSub>;
  /** Frames waiting while the session is held (before its welcome, during a rename: held-frames.ts); else undefined. */
  inbox: Array<() => void> | undefined;
  /** The end of the session's queue of history reads (paced.ts); undefined when none is queued. */
  readTail?: Promise<void> | undefined;
  /** `history` requests queued or running, bounded by MAX_QUEUED_HISTORY. */
  historyQueued?: number | undefined;
  /** Signed in: the identity of the connection's current token (a refresh replaces it). */
  identity?: Identity | undefined;
  /** Signed in: the user's read position per room, kept current by `read` events. */
  reads?: Map<string, number> | undefined;
  /** Anonymous JSON: the reconnect key its `welcome` carries (reconnect-key.ts), and the hash kept with its nickname. */
  reconnectKey?: string | undefined;
  keyHash?: string | undefined;
  /** Rooms the old connection of a name taken back was in: rejoining them is no news (the person never left). */
  quietRooms?: Set<string> | undefined;
  /** Closes the connection with 4005 when the token expires unrefreshed. */
  expiry?: NodeJS.Timeout | undefined;
}
