import { CLOSING, excessFlood } from "../protocol/close-codes.ts";
import { READ_HOLD } from "./client-link.ts";
import type { SocketLink } from "./socket-link.ts";
import type { WireEvents } from "./wire.ts";

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

/** One set of listeners per gateway, shared by all its sockets. */
export const socketListeners = (events: SocketEvents): WireEvents => {
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
    message(wire, frame) {
      const conn = wire.conn;
      if (!conn || conn.closed) return;
      if (conn.held === null && conn.rate.take(Date.now())) handle(conn, frame);
      else hold(conn, frame);
    },
    close(wire, code, reason) {
      const conn = wire.conn;
      if (!conn) return;
      conn.closed = true;
      // A protocol error (1002, 1007, 1008, 1009): the wire sent that code; the peer's is 1006.
      if (wire.failCode !== undefined) conn.sentCloseCode ??= wire.failCode;
      dropHeld(conn);
      events.close(conn, code, reason);
    },
  };
};

/** The connection is going: what waited is not handled (a text client was told by its close code). */
const dropHeld = (conn: SocketLink): void => {
  clearTimeout(conn.heldTimer);
  conn.heldTimer = undefined;
  conn.held = null;
};
