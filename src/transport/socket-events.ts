import { type RawData, WebSocket } from "ws";
import { CLOSE, CLOSING, excessFlood } from "../protocol/close-codes.ts";
import { READ_HOLD } from "./client-link.ts";
import type { SocketLink } from "./socket-link.ts";

/**
 * `ws`'s WebSocket with a slot for its Parley connection, so the listeners below can be the
 * same three functions for every socket (`this` is the socket) instead of closures per
 * connection: at 10,000 idle connections that is most of what Parley adds to `ws`'s own cost.
 */
export class ParleySocket extends WebSocket {
  conn: SocketLink | undefined = undefined;
}

const connOf = (ws: WebSocket): SocketLink | undefined => (ws as ParleySocket).conn;

/** What the socket listeners report (the gateway's handlers, plus its bookkeeping on close). */
export interface SocketEvents {
  text(conn: SocketLink, data: string): void;
  binary(conn: SocketLink): void;
  /** A frame refused (not handled) because the connection's hold of over-rate frames was full; `data` is its text. */
  rateLimited(conn: SocketLink, data: string | undefined): void;
  /** A frame waited for the rate before it was handled. */
  paced(conn: SocketLink): void;
  close(conn: SocketLink, code: number, reason: string): void;
}

export interface SocketListeners {
  message(this: WebSocket, data: RawData, isBinary: boolean): void;
  close(this: WebSocket, code: number, reason: Buffer): void;
  error(this: WebSocket, error: Error): void;
}

/** One set of listeners per gateway, shared by all its sockets. */
export const socketListeners = (events: SocketEvents): SocketListeners => {
  const handle = (conn: SocketLink, frame: string | null): void => {
    if (frame === null) events.binary(conn);
    else events.text(conn, frame);
  };

  /** Hands held frames on as their tokens come due; reading resumes once none waits. */
  const release = (conn: SocketLink): void => {
    conn.heldTimer = undefined;
    const held = conn.held;
    if (held === null || conn.closed) return;
    const now = Date.now();
    while (held.length > 0 && !conn.closed && conn.rate.take(now)) {
      events.paced(conn);
      handle(conn, held.shift() as string | null);
    }
    if (conn.closed) return;
    if (held.length > 0) {
      conn.heldTimer = setTimeout(release, Math.max(1, conn.rate.msUntilToken(Date.now())), conn);
      return;
    }
    conn.held = null;
    conn.releaseReading(READ_HOLD.rate);
  };

  /**
   * Over the rate: the frame waits, in order, and the socket is not read meanwhile (TCP pushes
   * back on the sender). Only frames already read when reading stopped can join the hold, so
   * it passes its bound only for a client that packs more than that into what one read returns.
   */
  const hold = (conn: SocketLink, frame: string | null): void => {
    const held = conn.held ?? [];
    if (held.length < conn.rate.options.hold) {
      held.push(frame);
      if (conn.held === null) {
        conn.held = held;
        conn.holdReading(READ_HOLD.rate);
        conn.heldTimer = setTimeout(release, Math.max(1, conn.rate.msUntilToken(Date.now())), conn);
      }
      return;
    }
    if (conn.info.mode === "text") {
      // The Cookbook protocol cannot refuse one line: the connection goes, as IRC's "Excess Flood".
      dropHeld(conn);
      conn.close(excessFlood(held.length));
      return;
    }
    events.rateLimited(conn, frame ?? undefined);
    if (conn.rate.strike(Date.now())) {
      dropHeld(conn);
      conn.close(CLOSING.floodAgain);
    }
  };

  return {
    message(data, isBinary) {
      const conn = connOf(this);
      if (!conn || conn.closed) return;
      const frame = isBinary ? null : (data as Buffer).toString("utf8");
      if (conn.held === null && conn.rate.take(Date.now())) handle(conn, frame);
      else hold(conn, frame);
    },
    close(code, reason) {
      const conn = connOf(this);
      if (!conn) return;
      conn.closed = true;
      dropHeld(conn);
      events.close(conn, code, reason.toString());
    },
    // `ws` closes the socket itself on protocol errors (1002, 1007, 1009); 'close' follows,
    // reporting 1006 as it stops reading: remember the code it sent.
    error(error) {
      const conn = connOf(this);
      if (conn) conn.sentCloseCode ??= closeCodeOfWsError(error);
    },
  };
};

/** The connection is going: what waited is not handled (a text client was told by its close code). */
const dropHeld = (conn: SocketLink): void => {
  clearTimeout(conn.heldTimer);
  conn.heldTimer = undefined;
  conn.held = null;
};

/** Hands a socket to its connection and listens to it with the shared listeners. */
export const attach = (ws: WebSocket, conn: SocketLink, listeners: SocketListeners): void => {
  const socket = ws as ParleySocket;
  socket.conn = conn;
  socket.on("message", listeners.message);
  socket.on("close", listeners.close);
  socket.on("error", listeners.error);
};

/**
 * The close code `ws` sends for each receiver error, by the error's documented `code`
 * (`WS_ERR_*`, ws's errors.md); every other `WS_ERR_*` is a protocol error (1002).
 */
const CLOSE_OF_WS_ERROR: Readonly<Record<string, number>> = {
  WS_ERR_INVALID_UTF8: CLOSE.invalidPayload,
  WS_ERR_UNSUPPORTED_MESSAGE_LENGTH: CLOSE.tooLarge,
  WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH: CLOSE.tooLarge,
  WS_ERR_TOO_MANY_BUFFERED_PARTS: CLOSE.policyViolation,
};

/** The close code `ws` sent for a receiver error; undefined for an error that is not one (a socket error). */
const closeCodeOfWsError = (error: Error): number | undefined => {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === undefined || !code.startsWith("WS_ERR_")) return undefined;
  return CLOSE_OF_WS_ERROR[code] ?? CLOSE.protocolError;
};
