import type { IncomingMessage } from "node:http";

/**
 * A browser cannot set headers on a WebSocket, so the token may travel three ways, read in
 * this order (auth/handshake.ts): a subprotocol entry `parley.token.<jwt>` offered next to
 * `parley.v1` (never echoed back; not in URLs or proxy logs), an `Authorization: Bearer <jwt>`
 * header (non-browser clients), or `?token=<jwt>` on the URL (text-mode clients, which offer
 * no subprotocol; it can end up in proxy access logs).
 */
export const TOKEN_PROTOCOL_PREFIX = "parley.token.";

export const isTokenProtocol = (protocol: string): boolean => protocol.startsWith(TOKEN_PROTOCOL_PREFIX);

/** The subprotocols a handshake offers, in its order. */
export const offeredProtocols = (req: IncomingMessage): string[] => {
  const header = req.headers["sec-websocket-protocol"];
  if (header === undefined) return []; // a Cookbook client: nothing to split
  return header
    .split(",")
    .map((p) => p.trim())
    .filter(Boolean);
};
