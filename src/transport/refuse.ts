import { STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";

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

/**
 * Writes `response`, then frees the descriptor: a client that never reads or never closes its side
 * cannot keep the socket by leaving the answer unread (at most a second is waited for it to drain).
 */
export const closeWith = (socket: Duplex, response: string): void => {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const force = setTimeout(() => socket.destroy(), 1000);
  force.unref();
  socket.end(response, () => {
    clearTimeout(force);
    socket.destroy();
  });
};
