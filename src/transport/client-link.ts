import type { Mode } from "../chat/hub.ts";
import type { VerifiedUser } from "../chat/identity.ts";
import type { Closing } from "../protocol/close-codes.ts";
import type { Outlet, Payload } from "./fanout.ts";

export interface ConnectionInfo {
  mode: Mode;
  /** The room the URL path chose. */
  room: string;
  /** Join `room` on open; false when a JSON client asked `?autojoin=0` (it joins rooms itself). */
  autoJoin: boolean;
  /** `?since=N` on the URL: resume that room after seq N. */
  since?: number | undefined;
  ip: string;
  /** The signed-in user, when the handshake carried a valid token. */
  identity?: VerifiedUser | undefined;
}

/** Who has paused reading a socket; reading resumes when none has. */
export const READ_HOLD = {
  /** Frames over the rate are waiting their turn (socket-events.ts). */
  rate: 1,
  /** The service holds the session's frames (a rename, the welcome) and has as many as it keeps. */
  service: 2,
} as const;

/**
 * What the service sees of one client's socket: where it came from, frames out, a close,
 * reading paused and resumed, and the pacing of bulk replies. The socket connection
 * (connection.ts) is the one implementation; unit tests of the service use a fake.
 */
export interface ClientLink extends Outlet {
  readonly info: ConnectionInfo;
  /** True once the connection is closing or closed: nothing more is written. */
  readonly closed: boolean;
  /** Queues one text frame for this client alone (acks, errors, replies). */
  send(payload: string): void;
  /** Writes what is queued, then starts the close handshake with the closing's code and reason. */
  close(closing: Closing): void;
  /** Stops reading the socket on behalf of `holder` (a READ_HOLD bit). */
  holdReading(holder: number): void;
  /** `holder` no longer needs reading paused. */
  releaseReading(holder: number): void;
  /** Bytes one part of a bulk reply (history) may take. */
  readonly bulkBudget: number;
  /** Resolves true once the client has taken what earlier bulk parts left; false when it closed first. */
  drained(): Promise<boolean>;
  /** Charges a bulk part's `bytes` to the rate; resolves true when the next part may go. */
  bulkSent(bytes: number): Promise<boolean>;
}

/**
 * How the service has events delivered to a room's live members: the gateway frames each
 * room's events of a turn once per mode and writes every socket once (fanout.ts).
 */
export interface RoomDelivery {
  /** Queues one event for a room's members; `null` skips a mode (nothing to say to it). */
  toRoom(room: string, text: Payload | null, json: Payload | null, droppable?: boolean): void;
  /** Writes what is queued now (before a member joins the live stream, before a close). */
  flush(): void;
}
