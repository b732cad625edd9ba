/**
 * @module parley/client
 * The Parley client SDK: one typed client for the JSON protocol (parley.v1), for browsers and Node.
 * It reconnects with backoff, resumes every room from its last seq, de-duplicates by seq, and keeps
 * unacknowledged sends in an outbox until the server has them, once. Given `getToken`, it signs in and
 * keeps the token fresh on the open connection. See docs/sdk.md.
 */

export { REFRESH_MARGIN_MS, TOKEN_PROTOCOL_PREFIX, tokenExpiry } from "./auth.ts";
export { type BackoffOptions, backoffDelay, DEFAULT_BACKOFF } from "./backoff.ts";
export { connect, ParleyClient } from "./client.ts";
export { newCid } from "./outbox.ts";
export { CLOSE, RECONNECT_CODES, shouldReconnect } from "./protocol.ts";
export type { JoinOptions, Room, RoomState } from "./room.ts";
export type { SearchHit, SearchOptions, SearchResults } from "./search.ts";
export {
  type Ack,
  type AuthChange,
  type AuthUser,
  type ChatMessage,
  type ClientEvents,
  type ClientOptions,
  type ConnectionState,
  type HistoryPage,
  type JoinedInfo,
  type MentionNotice,
  type MessageUpdate,
  ParleyServerError,
  type PresenceChange,
  type ResumeIncomplete,
  type RoomEvents,
  type StateChange,
  type Timers,
  type TypingNotice,
  type UnreadChange,
  type WebSocketConstructor,
} from "./types.ts";
export { TYPING_SEND_INTERVAL_MS } from "./typing.ts";
export type { FileInfo, UploadOptions } from "./upload.ts";
