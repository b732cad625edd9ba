import { STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";
import type { VerifiedUser } from "../chat/identity.ts";

/** Why an upgrade was answered with an HTTP error instead of a WebSocket: a bounded label for metrics. */
export const REFUSAL_REASONS = [
  "bad_request",
  "origin",
  "banned",
  "limit",
  "shutting_down",
  "unauthorized",
  "forbidden",
] as const;
export type RefusalReason = (typeof REFUSAL_REASONS)[number];

/** An upgrade answered with an HTTP status instead of a WebSocket. */
export interface Refusal {
  status: number;
  message: string;
  reason: RefusalReason;
}

/** What the handshake's token decided: who the client is (undefined: anonymous), or a refusal with its headers. */
export type Authentication =
  | { ok: true; identity: VerifiedUser | undefined }
  | { ok: false; refusal: Refusal; headers: Record<string, string> };

/** Answers an upgrade request with a plain HTTP error before any WebSocket exists. */
export const refuseUpgrade = (
  socket: Duplex,
  status: number,
  message: string,
  headers: Record<string, string> = {},
): void => {
  const body = `${message}\n`;
  const lines = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? "Error"}`,
    "Connection: close",
    "Content-Type: text/plain; charset=utf-8",
    "X-Content-Type-Options: nosniff",
    `Content-Length: ${Buffer.byteLength(body)}`,
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
  ];
  closeWith(socket, `${lines.join("\r\n")}\r\n\r\n${body}`);
};

/** How long a refused socket is kept, reading and discarding, for the client to take the answer and close. */
const LINGER_MS = 250;
/** Sockets lingering at once, in all: past it (a flood) the descriptor comes first and they close at once. */
const MAX_LINGERING = 256;
let lingering = 0;

/**
 * Writes `response` and frees the descriptor soon, whatever the client does: a client that never
 * reads or never closes cannot keep the socket. Until the answer is out and the client closed (at most
 * `LINGER_MS`), what it still sends is read and dropped: closing on unread bytes would be a reset,
 * which can destroy the answer before the client reads it.
 */
export const closeWith = (socket: Duplex, response: string): void => {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const linger = lingering < MAX_LINGERING;
  if (linger) lingering++;
  const timer = setTimeout(() => socket.destroy(), linger ? LINGER_MS : 1000);
  timer.unref();
  socket.once("close", () => {
    clearTimeout(timer);
    if (linger) lingering--;
  });
  socket.on("error", () => {});
  if (linger) {
    socket.once("end", () => socket.destroy());
    socket.resume();
    socket.end(response);
  } else socket.end(response, () => socket.destroy());
};
