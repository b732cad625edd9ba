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
