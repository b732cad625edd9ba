/**
 * Every close code Parley sends, in one table. Policy for clients:
 * codes in RECONNECT mean "come back (with `since`) and you lose nothing";
 * any other code means "do not reconnect automatically".
 */
export const CLOSE = {
  normal: 1000,
  goingAway: 1001,
  protocolError: 1002,
  unsupportedData: 1003,
  invalidPayload: 1007,
  policyViolation: 1008,
  tooLarge: 1009,
  internalError: 1011,
  tryAgainLater: 1013,
  /** The client read too slowly and its send queue overflowed. Reconnect and resume. */
  tooSlow: 4000,
  /** Missed the heartbeat deadline. Reconnect and resume. */
  heartbeatTimeout: 4001,
  /** Kicked by an administrator. Do not reconnect. */
  kicked: 4003,
  /** Banned. Do not reconnect. */
  banned: 4004,
  /** The access token expired: get a fresh token, then reconnect. */
  tokenExpired: 4005,
} as const;

export type CloseCode = (typeof CLOSE)[keyof typeof CLOSE];

/** A close Parley sends: its code and the reason the client reads (at most 123 bytes). */
export interface Closing {
  readonly code: number;
  readonly reason: string;
}

/** Every close Parley sends, by situation: the reason next to its code, written once. */
export const CLOSING = {
  shutdown: { code: CLOSE.goingAway, reason: "server shutting down: reconnect" },
  replaced: { code: CLOSE.normal, reason: "replaced by your new connection" },
  sessionFailed: { code: CLOSE.tryAgainLater, reason: "the server could not set up your session: reconnect" },
  chatUnavailable: { code: CLOSE.tryAgainLater, reason: "the chat is not answering: reconnect shortly" },
  madePrivate: { code: CLOSE.kicked, reason: "this room is private now" },
  kicked: { code: CLOSE.kicked, reason: "kicked by an administrator" },
  banned: { code: CLOSE.banned, reason: "banned by an administrator" },
  tokenExpired: { code: CLOSE.tokenExpired, reason: "token expired: refresh and reconnect" },
  heartbeat: { code: CLOSE.heartbeatTimeout, reason: "heartbeat timeout: reconnect and resume" },
  tooSlow: { code: CLOSE.tooSlow, reason: "too slow: reconnect and resume" },
  floodAgain: { code: CLOSE.policyViolation, reason: "Excess Flood: rate limit exceeded again and again" },
} as const satisfies Record<string, Closing>;

/** A Cookbook client over the rate with its hold full: IRC's "Excess Flood". */
export const excessFlood = (waiting: number): Closing => ({
  code: CLOSE.policyViolation,
  reason: `Excess Flood: more than ${waiting} messages waiting`,
});

/** Close codes after which a client should reconnect (and resume) by itself. */
export const RECONNECT_CODES: ReadonlySet<number> = new Set([
  1001,
  1005,
  1006,
  1011,
  1012,
  1013,
  1014,
  CLOSE.tooSlow,
  CLOSE.heartbeatTimeout,
  CLOSE.tokenExpired,
]);

export const shouldReconnect = (code: number): boolean => RECONNECT_CODES.has(code);

/** Why a connection ended, from its close code: a fixed set, so labels stay bounded. */
export const CLOSE_REASONS = [
  "normal",
  "going_away",
  "abnormal",
  "protocol",
  "size",
  "rate",
  "slow",
  "heartbeat",
  "kicked",
  "banned",
  "token_expired",
  "server_error",
  "other",
] as const;
export type CloseReason = (typeof CLOSE_REASONS)[number];

/** The reason label of each code Parley sends or sees; unknown codes (a client may send any 3000-4999) are "other". */
const REASON_OF_CODE: ReadonlyMap<number, CloseReason> = new Map<number, CloseReason>([
  [CLOSE.normal, "normal"],
  [1005, "normal"], // a close frame without a code
  [CLOSE.goingAway, "going_away"],
  [1006, "abnormal"], // the TCP connection ended without a close frame
  [CLOSE.protocolError, "protocol"],
  [CLOSE.unsupportedData, "protocol"],
  [CLOSE.invalidPayload, "protocol"],
  [CLOSE.policyViolation, "rate"], // Parley sends 1008 only for a client that keeps flooding
  [CLOSE.tooLarge, "size"],
  [CLOSE.internalError, "server_error"],
  [CLOSE.tryAgainLater, "server_error"],
  [CLOSE.tooSlow, "slow"],
  [CLOSE.heartbeatTimeout, "heartbeat"],
  [CLOSE.kicked, "kicked"],
  [CLOSE.banned, "banned"],
  [CLOSE.tokenExpired, "token_expired"],
]);

export const closeReason = (code: number): CloseReason => REASON_OF_CODE.get(code) ?? "other";
