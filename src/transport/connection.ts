import type { Duplex } from "node:stream";
import type { WebSocket } from "ws";
import type { Mode } from "../chat/hub.ts";
import { CLOSE } from "../protocol/close-codes.ts";
import { textFrame } from "../protocol/ws-frame.ts";
import type { Fanout, Outlet } from "./fanout.ts";

export interface ConnectionInfo {
  mode: Mode;
  /** The room the URL path chose. */
  room: string;
  /** `?since=N` on the URL: resume that room after seq N. */
  since?: number | undefined;
  ip: string;
}

export interface ConnectionOptions {
  /** Bytes that may wait to be written before the client counts as too slow. */
  maxQueueBytes: number;
}

// `ws` owns the handshake, parsing, control frames and the close handshake; Parley writes
// its data frames straight to the socket so one write can carry many pre-built frames.
const socketOf = (ws: WebSocket): Duplex => (ws as unknown as { _socket: Duplex })._socket;

/** One client: a `ws` WebSocket plus the queue of frames waiting for this turn's write. */
export class Connection implements Outlet {
  private queue: Buffer[] = [];
  private queuedBytes = 0;
  private readonly socket: Duplex;
  closed = false;

  constructor(
    readonly ws: WebSocket,
    readonly info: ConnectionInfo,
    private readonly fanout: Fanout,
    private readonly options: ConnectionOptions,
  ) {
    this.socket = socketOf(ws);
  }

  /** Queues one text frame for this client alone (acks, errors, history, replies). */
  send(payload: string): void {
    this.enqueue(textFrame(payload), false);
  }

  enqueue(frame: Buffer, droppable: boolean): void {
    if (this.closed) return;
    const backlog = this.queuedBytes + this.socket.writableLength;
    if (backlog + frame.length > this.options.maxQueueBytes) {
      if (droppable) return; // presence first: it can be re-read, a chat message must not be skipped
      this.close(CLOSE.tooSlow, "too slow: reconnect and resume");
      return;
    }
    if (this.queue.length === 0) this.fanout.markDirty(this);
    this.queue.push(frame);
    this.queuedBytes += frame.length;
  }

  flushWrites(): void {
    const queue = this.queue;
    if (queue.length === 0) return;
    this.queue = [];
    this.queuedBytes = 0;
    if (this.closed || this.socket.destroyed || !this.socket.writable) return;
    if (queue.length === 1) {
      this.socket.write(queue[0] as Buffer);
      return;
    }
    this.socket.write(Buffer.concat(queue));
  }

  /** Writes what is queued, then starts the close handshake. */
  close(code: number, reason: string): void {
    if (this.closed) return;
    this.flushWrites();
    this.closed = true;
    this.ws.close(code, reason);
  }
}
