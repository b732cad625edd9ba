import { type ErrorCode, isParleyError, ParleyError } from "../chat/errors.ts";
import type { Member } from "../chat/hub.ts";
import type { VerifiedUser } from "../chat/identity.ts";
import type { ChatMessage } from "../chat/message.ts";
import { SmallMap } from "../chat/small-collections.ts";
import { encodeEvent, type ServerEvent } from "../protocol/json.ts";
import { textError } from "../protocol/text.ts";
import type { ClientLink } from "../transport/client-link.ts";

/** A member's view of one room: catching up on history, or on the room's live stream. */
export interface RoomSub {
  live: boolean;
  /** Live messages that arrived while catching up; sent after the history, without repeats. */
  backlog: ChatMessage[];
}

/** Where a refusal belongs: the `cid` of the frame refused, the room it was about. */
export interface FailContext {
  cid?: string | undefined;
  room?: string;
}

/** Told of each refusal sent to a client (for metrics). */
export type RefusedHook = (code: ErrorCode) => void;

/** What the service keeps per connection; the hub's member carries it. Built only by `openSession` (session-life.ts). */
export class Session {
  /** The hub's member of this connection (its nickname, mode, rooms). */
  readonly member: Member<Session>;
  readonly subs = new SmallMap<string, RoomSub>();
  /** Frames waiting while the session is held (before its welcome, during a rename: held-frames.ts); else undefined. */
  inbox: Array<() => void> | undefined = [];
  /** The end of the session's queue of history reads (history/read-lane.ts); undefined when none is queued. */
  readTail: Promise<void> | undefined;
  /** `history` requests queued or running, bounded by MAX_QUEUED_HISTORY. */
  historyQueued: number | undefined;
  /** A `search` is running (search-request.ts): one at a time per connection. */
  searching: boolean | undefined;
  /** Signed in: the identity of the connection's current token (a refresh replaces it). */
  identity: VerifiedUser | undefined;
  /** Signed in: the user's read position per room, kept current by `read` events. */
  reads: Map<string, number> | undefined;
  /** Anonymous JSON: the reconnect key its `welcome` carries (reconnect-key.ts), and the hash kept with its nickname. */
  reconnectKey: string | undefined;
  keyHash: string | undefined;
  /** Rooms the old connection of a name taken back was in: rejoining them is no news (the person never left). */
  quietRooms: Set<string> | undefined;
  /** Closes the connection with 4005 when the token expires unrefreshed. */
  expiry: NodeJS.Timeout | undefined;

  readonly link: ClientLink;
  private readonly refused?: RefusedHook;

  /** `enter` puts the new session in the hub (and may set its identity): its member. */
  constructor(link: ClientLink, enter: (session: Session) => Member<Session>, refused?: RefusedHook) {
    this.link = link;
    this.refused = refused;
    this.member = enter(this);
  }

  /** One event to this client alone. */
  reply(event: ServerEvent): void {
    this.link.send(encodeEvent(event));
  }

  /** Sends `error` to a JSON client, or a ` .... error:` line to a text client. */
  fail(error: unknown, context: FailContext = {}): void {
    const parley = isParleyError(error) ? error : new ParleyError("internal", "Something went wrong.");
    this.refused?.(parley.code);
    if (this.member.mode === "text") {
      this.link.send(textError(parley.message));
      return;
    }
    const event: ServerEvent = { type: "error", code: parley.code, message: parley.message };
    if (context.cid !== undefined) event.cid = context.cid;
    if (context.room !== undefined) event.room = context.room;
    this.reply(event);
  }
}
