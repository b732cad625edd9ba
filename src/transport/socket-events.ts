import { type RawData, WebSocket } from "ws";
import { CLOSE } from "../protocol/close-codes.ts";
import type { Connection } from "./connection.ts";

/**
 * `ws`'s WebSocket with a slot for its Parley connection, so the listeners below can be the
 * same three functions for every socket (`this` is the socket) instead of closures per
 * connection: at 10,000 idle connections that is most of what Parley adds to `ws`'s own cost.
 */
export class ParleySocket extends WebSocket {
  conn: Connection | undefined = undefined;
}

const connOf = (ws: WebSocket): Connection | undefined => (ws as ParleySocket).conn;

/** What the socket listeners report (the gateway's handlers, plus its bookkeeping on close). */
export interface SocketEvents {
  text(conn: Connection, data: string): void;
  binary(conn: Connection): void;
  rateLimited(conn: Connection, data: string | undefined): void;
  close(conn: Connection, code: number, reason: string): void;
}

export interface SocketListeners {
  message(this: WebSocket, data: RawData, isBinary: boolean): void;
  close(this: WebSocket, code: number, reason: Buffer): void;
  error(this: WebSocket, error: Error): void;
}

/** One set of listeners per gateway, shared by all its sockets. */
export const socketListeners = (events: SocketEvents): SocketListeners => ({
  message(data, isBinary) {
    const conn = connOf(this);
    if (!conn || conn.closed) return;
    const verdict = conn.rate.take(Date.now());
    if (verdict === "abusive") {
      conn.close(CLOSE.policyViolation, "rate limit exceeded again and again");
      this.resume(); // to read the close handshake's answer
    } else if (verdict === "refused" || verdict === "dropped") {
      if (verdict === "refused") events.rateLimited(conn, isBinary ? undefined : (data as Buffer).toString("utf8"));
      // Stop reading this socket until its next token is due: a flood then waits in the
      // kernel (TCP pushes back on the sender) instead of costing parsing for everyone.
      if (!this.isPaused) {
        this.pause();
        setTimeout(() => {
          if (!conn.closed) this.resume();
        }, conn.rate.msUntilToken);
      }
    } else if (isBinary) {
      events.binary(conn);
    } else {
      events.text(conn, (data as Buffer).toString("utf8"));
    }
  },
  close(code, reason) {
    const conn = connOf(this);
    if (!conn) return;
    conn.closed = true;
    events.close(conn, code, reason.toString());
  },
  // `ws` closes the socket itself on protocol errors (1002, 1007, 1009); 'close' follows,
  // reporting 1006 as it stops reading: remember the code it sent.
  error(error) {
    const conn = connOf(this);
    if (conn) conn.sentCloseCode ??= closeCodeOfWsError(error);
  },
});

/** Hands a socket to its connection and listens to it with the shared listeners. */
export const attach = (ws: WebSocket, conn: Connection, listeners: SocketListeners): void => {
  const socket = ws as ParleySocket;
  socket.conn = conn;
  socket.on("message", listeners.message);
  socket.on("close", listeners.close);
  socket.on("error", listeners.error);
};

/** The close code `ws` sent for a receiver error: it keeps it under its `status-code` symbol. */
const closeCodeOfWsError = (error: Error): number | undefined => {
  const key = Object.getOwnPropertySymbols(error).find((symbol) => symbol.description === "status-code");
  const code: unknown = key === undefined ? undefined : (error as unknown as Record<symbol, unknown>)[key];
  return typeof code === "number" ? code : undefined;
};
