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

  private readonly counter: ConnectionCounter;
  private readonly log: Logger;

  constructor(counter: ConnectionCounter, log: Logger) {
    this.counter = counter;
    this.log = log;
  }

  /** The number and time go on the connection itself: no table entry and record per connection. */
  opened(conn: SocketLink): void {
    const id = this.nextId++;
    conn.logId = id;
    conn.openedAt = Math.round(performance.now());
    this.counter.connectionOpened(conn.info.mode);
    if (!this.log.isLevelEnabled("info")) return; // no fields object built for a line not written
    const { mode, room, ip } = conn.info;
    this.log.info({ event: "open", conn: id, mode, room, ip }, "connection open");
  }

  /** `code` is the peer's (wire.ts: 1006 without a close frame); when Parley closed the connection, the code it sent is the truth. */
  closed(conn: SocketLink, code: number): void {
    const id = conn.logId;
    if (id === 0) return;
    conn.logId = 0;
    const sent = conn.sentCloseCode;
    const reason = closeReason(sent ?? code);
    this.counter.connectionClosed(conn.info.mode, reason);
    const fields = {
      event: "close",
      conn: id,
      code: sent ?? code,
      reason,
      by: sent === undefined ? "client" : "server",
      seconds: Math.round(performance.now() - conn.openedAt) / 1000,
    };
    this.log.info(fields, "connection closed");
  }
}
