import type { Mode } from "../chat/hub.ts";
import type { Logger } from "../log.ts";
import { type CloseReason, closeReason } from "../protocol/close-codes.ts";
import type { SocketLink } from "../transport/socket-link.ts";

export interface ConnectionCounter {
  connectionOpened(mode: Mode): void;
  connectionClosed(mode: Mode, reason: CloseReason): void;
}

/**
 * One log line when a connection opens and one when it closes (with its close code and
 * reason), and the connection counters. Never anything a client said.
 */
export class ConnectionWatch {
  private nextId = 1;
  private readonly seen = new WeakMap<SocketLink, { id: number; openedAt: number }>();

  constructor(
    private readonly counter: ConnectionCounter,
    private readonly log: Logger,
  ) {}

  opened(conn: SocketLink): void {
    const id = this.nextId++;
    this.seen.set(conn, { id, openedAt: performance.now() });
    this.counter.connectionOpened(conn.info.mode);
    const { mode, room, ip } = conn.info;
    this.log.info({ event: "open", conn: id, mode, room, ip }, "connection open");
  }

  /** `code` is what `ws` reports; when Parley closed the connection, the code it sent is the truth. */
  closed(conn: SocketLink, code: number): void {
    const seen = this.seen.get(conn);
    if (!seen) return;
    this.seen.delete(conn);
    const sent = conn.sentCloseCode;
    const reason = closeReason(sent ?? code);
    this.counter.connectionClosed(conn.info.mode, reason);
    const fields = {
      event: "close",
      conn: seen.id,
      code: sent ?? code,
      reason,
      by: sent === undefined ? "client" : "server",
      seconds: Math.round(performance.now() - seen.openedAt) / 1000,
    };
    this.log.info(fields, "connection closed");
  }
}
