import type { BackoffOptions } from "./backoff.ts";
import type { PingOptions } from "./liveness.ts";
import type { ChatMessage } from "./protocol.ts";
import type { AuthUser } from "./wire.ts";

export type { AuthUser, ChatMessage };

/**
 * Anything built like a WebSocket: the browser's `WebSocket`, or `WebSocket` from the `ws` package on Node.
 * Typed loosely on purpose (the two differ in their listener types); the client checks its shape at run time.
 */
export type WebSocketConstructor = new (url: string, protocols: string[]) => object;

/** Timers the client schedules reconnects and retries with; inject fake ones to test without sleeping. */
export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface ClientOptions {
  /** The WebSocket class. Default: `globalThis.WebSocket` (browsers, Node ≥ 22); on Node 20 pass `ws`'s. */
  WebSocket?: WebSocketConstructor;
  /** The nickname to take on every (re)connect. Default: the one the server gives, kept across reconnects. */
  nick?: string;
  /** Reconnect delay bounds in ms (full jitter between 0 and the exponential ceiling). */
  backoff?: Partial<BackoffOptions>;
  /** Give up on a connection attempt that has not opened after this many ms (then retry). Default 10 000. */
  connectTimeout?: number;
  /**
   * A quiet connection is asked whether it is still there: a `ping` when nothing came from the server for `every`
   * ms (default 5 000); no frame within `timeout` ms (default 4 000) and it is taken as lost and redialled.
   */
  ping?: Partial<PingOptions>;
  timers?: Timers;
  /** Uniform in [0, 1); used for backoff jitter. Default `Math.random`. */
  random?: () => number;
  /**
   * Signs in: called before every connection and again a margin before the token's `exp` (refreshed on the
   * open connection). Returns a JWT from your application backend; an empty string connects anonymously.
   */
  getToken?: () => string | Promise<string>;
}

/**
 * Sign-in news. `signed-in`: the server's welcome named the user. `refreshed`: it took a fresh token.
 * `refresh-failed`: a refresh was refused or `getToken()` failed; the old token holds until `exp`, then the
 * client reconnects with a new one. `signed-out`: no usable token (refused at the handshake, expired, or
 * `getToken()` failed); the client keeps retrying with backoff, calling `getToken()` each time.
 */
export interface AuthChange {
  state: "signed-in" | "refreshed" | "refresh-failed" | "signed-out";
  user?: AuthUser;
  /** The token's expiry, seconds since the epoch. */
  exp?: number;
  reason?: string;
  /** `signed-out` at the handshake: the HTTP status, when the WebSocket implementation reveals it (browsers do not). */
  status?: number;
}

/** Someone else in a room is typing (the server relays at most one per person every few seconds). */
export interface TypingNotice {
  room: string;
  nick: string;
}

/** A signed-in user's unread count for a room changed. */
export interface UnreadChange {
  room: string;
  count: number;
}

export type ConnectionState = "connecting" | "connected" | "reconnecting" | "disconnected";

/** One step of the connection state machine. */
export interface StateChange {
  state: ConnectionState;
  /** Close code of the connection that just ended (reconnecting, disconnected). */
  code?: number;
  reason?: string;
  /** `connecting`, `reconnecting`: the number of this retry (0 for the first connection). */
  attempt: number;
  /** `reconnecting`: ms until the next attempt. */
  delay?: number;
  /** `disconnected`: false, the client will not try again by itself. */
  willReconnect: boolean;
}

/** The server confirmed a message is stored: it has this `seq` in its room. */
export interface Ack {
  cid: string;
  room: string;
  seq: number;
  id: string;
  ts: number;
  /** true: the server already had this `cid` (a retry after a lost ack); same seq, not stored twice. */
  duplicate: boolean;
}

export interface PresenceChange {
  room: string;
  action: "snapshot" | "join" | "leave" | "nick";
  /** join, leave, nick: who; nick: the new name. */
  nick?: string;
  /** nick: the old name. */
  from?: string;
  /** Everyone in the room after this change. */
  members: readonly string[];
  /** snapshot, join: the pictures (token `picture`, https: or a small data: image) of signed-in members, by nickname. */
  pictures?: Readonly<Record<string, string>>;
}

export interface HistoryPage {
  room: string;
  messages: ChatMessage[];
  /**
   * `initial`: the latest page on first joining the room.
   * `reset`: the latest page after a resume the server could not complete (see `resume-incomplete`).
   * `older`: a page asked for with `room.history()`.
   */
  kind: "initial" | "reset" | "older";
}

export interface ResumeIncomplete {
  room: string;
  /** The last seq this client had seen. */
  since: number;
  /** The room's last seq now; a `history` event with kind `reset` follows. */
  lastSeq: number;
}

export interface JoinedInfo {
  room: string;
  lastSeq: number;
  /** true when this join resumed an earlier one (after a reconnect). */
  resumed: boolean;
}

export interface ClientEvents {
  state: StateChange;
  connecting: StateChange;
  connected: StateChange;
  reconnecting: StateChange;
  disconnected: StateChange;
  /**
   * Your nickname changed (server-given on connect, or `setNick`). `interim`: after a reconnect your name
   * could not be taken back (someone else holds it); this one stands in, and yours is asked for again on
   * the next reconnect: do not remember it as the user's choice.
   */
  nick: { nick: string; previous: string | undefined; interim: boolean };
  /** An error from the server not tied to a room or a send. */
  error: ParleyServerError;
  auth: AuthChange;
  typing: TypingNotice;
  unread: UnreadChange;
  /** You (signed in) were named with `@you`, `@room` or `@here` in a message of any room, on every device. */
  mention: MentionNotice;
}

export interface MentionNotice {
  room: string;
  seq: number;
  /** Who wrote the message. */
  nick: string;
  text: string;
  ts: number;
  /** Your mentions in that room not yet read (`read` past them clears them); absent for `@room`/`@here`. */
  mentions?: number;
}

export interface RoomEvents {
  /** A message newer than any seen in this room: exactly once, in seq order, live or recovered after a reconnect. */
  message: ChatMessage;
  history: HistoryPage;
  presence: PresenceChange;
  joined: JoinedInfo;
  "resume-incomplete": ResumeIncomplete;
  /** The message with this seq was deleted (by its author or a moderator); `update` has its tombstone. */
  delete: { room: string; seq: number };
  /** A message was edited, deleted or reacted to: `message` is its state now (also in `room.message(seq)`). */
  update: MessageUpdate;
  error: ParleyServerError;
  left: { room: string };
  typing: TypingNotice;
}

export interface MessageUpdate {
  room: string;
  kind: "edit" | "delete" | "react";
  message: ChatMessage;
  /** Who made the change. */
  by?: string;
  /** react: the emoji, and whether it was added. */
  emoji?: string;
  on?: boolean | undefined;
}

/** An `error` event from the server, as an Error with its stable `code`. */
export class ParleyServerError extends Error {
  readonly code: string;
  readonly room: string | undefined;
  readonly cid: string | undefined;
  constructor(code: string, message: string, context: { room?: string | undefined; cid?: string | undefined } = {}) {
    super(message);
    this.name = "ParleyServerError";
    this.code = code;
    this.room = context.room;
    this.cid = context.cid;
  }
}
