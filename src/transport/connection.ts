import type { Socket } from "node:net";
import type { WebSocket } from "ws";
import type { Mode } from "../chat/hub.ts";
import type { Identity } from "../chat/identity.ts";
import { CLOSE } from "../protocol/close-codes.ts";
import { textFrame } from "../protocol/ws-frame.ts";
import type { Fanout, Outlet } from "./fanout.ts";
import type { Beating } from "./heartbeat.ts";
import type { RateLimiter } from "./rate-limit.ts";

export interface ConnectionInfo {
  mode: Mode;
  /** The room the URL path chose. */
  room: string;
  /** Join `room` on open; false when a JSON client asked `?autojoin=0` (it joins rooms itself). */
  autoJoin: boolean;
  /** `?since=N` on the URL: resume that room after seq N. */
  since?: number | undefined;
  ip: string;
  /** The signed-in user, when the handshake carried a valid token. */
  identity?: Identity | undefined;
}

/**
 * Tallies the transport keeps for metrics: plain numbers, one add per socket write, read only
 * when scraped (no registry lookup or label hashing on the write path).
 */
export interface TransportStats {
  bytesOut: number;
  /** Droppable frames (presence) shed because the client was reading too slowly. */
  shedFrames: number;
}

/** The same for every connection of a gateway (one object, not one per connection). */
export interface ConnectionOptions {
  /** Bytes that may wait to be written before the client counts as too slow. */
  maxQueueBytes: number;
  stats: TransportStats;
}

// `ws` owns the handshake, parsing, control frames and the close handshake; Parley writes
// its data frames straight to the socket so one write can carry many pre-built frames.
const socketOf = (ws: WebSocket): Socket => (ws as unknown as { _socket: Socket })._socket;

const SLOW_CLOSE_GRACE_MS = 1000;
/** A client that has not taken a bulk reply's predecessor within this long counts as too slow. */
const DRAIN_TIMEOUT_MS = 10_000;

/** One client: a `ws` WebSocket plus the queue of frames waiting for this turn's write. */
export class Connection implements Outlet, Beating {
  /**
   * Frames waiting for this turn's write: null when none (most connections, most of the time),
   * the frame itself when one (the usual case in a busy turn: no array per recipient), else a list.
   */
  private queue: Buffer | Buffer[] | null = null;
  private queuedBytes = 0;
  private readonly socket: Socket;
  closed = false;
  /** Heartbeat: the socket's bytesRead at the last beat (-1: none yet). */
  private readAtBeat = -1;
  /** The close code Parley sent, if it closed the connection (the peer's echo may differ or be missing). */
  sentCloseCode: number | undefined;

  constructor(
    readonly ws: WebSocket,
    readonly info: ConnectionInfo,
    private readonly fanout: Fanout,
    private readonly options: ConnectionOptions,
    /** This connection's token bucket (one shared, stateless bucket when there is no limit). */
    readonly rate: RateLimiter,
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
      if (droppable) {
        this.options.stats.shedFrames++;
        return; // presence first: it can be re-read, a chat message must not be skipped
      }
      this.dropSlow();
      return;
    }
    const queue = this.queue;
    if (queue === null) {
      this.queue = frame;
      this.fanout.markDirty(this);
    } else if (Array.isArray(queue)) queue.push(frame);
    else this.queue = [queue, frame];
    this.queuedBytes += frame.length;
  }

  flushWrites(): void {
    const queue = this.queue;
    if (queue === null) return;
    this.queue = null;
    this.queuedBytes = 0;
    if (this.closed || this.socket.destroyed || !this.socket.writable) return;
    const data = Array.isArray(queue) ? Buffer.concat(queue) : queue;
    this.options.stats.bytesOut += data.length;
    this.socket.write(data);
  }

  /** Bytes written for this client that it has not taken yet (as far as Node can see). */
  get backlogBytes(): number {
    return this.queuedBytes + this.socket.writableLength;
  }

  /** Bytes one part of a bulk reply (history) may take: a quarter of the cap, so live traffic fits beside it. */
  get bulkBudget(): number {
    return Math.max(1, Math.floor(this.options.maxQueueBytes / 4));
  }

  /**
   * Resolves true once at most one bulk part is still waiting to be written, so the next
   * can follow without the backlog growing; false if the connection closed first. A client
   * that does not get there within ten seconds is too slow and is closed as such.
   */
  drained(): Promise<boolean> {
    if (this.closed) return Promise.resolve(false);
    if (this.backlogBytes <= this.bulkBudget) return Promise.resolve(true);
    const started = Date.now();
    return new Promise((resolve) => {
      const check = () => {
        if (this.closed) resolve(false);
        else if (this.backlogBytes <= this.bulkBudget) resolve(true);
        else if (Date.now() - started > DRAIN_TIMEOUT_MS) {
          this.dropSlow();
          resolve(false);
        } else setTimeout(check, 5);
      };
      setTimeout(check, 5);
    });
  }

  heard(): boolean {
    const read = this.socket.bytesRead;
    if (read === this.readAtBeat) return false;
    this.readAtBeat = read;
    return true;
  }

  ping(): void {
    if (!this.closed) this.ws.ping();
  }

  /** Missed the heartbeat: say so if the peer can still hear, and drop the socket now. */
  expire(): void {
    if (this.ws.readyState === this.ws.CLOSED) return;
    this.closed = true;
    this.queue = null;
    this.queuedBytes = 0;
    this.sentCloseCode = CLOSE.heartbeatTimeout;
    if (this.ws.readyState === this.ws.OPEN)
      this.ws.close(CLOSE.heartbeatTimeout, "heartbeat timeout: reconnect and resume");
    this.ws.terminate(); // 'close' follows at once, and with it the leave
  }

  /**
   * Too slow: what is queued is dropped (it will be resumed from history), the close frame
   * waits behind what the socket holds, and if the client has not taken it all within a
   * second the socket is dropped, so its memory is freed and its leave announced.
   */
  private dropSlow(): void {
    this.closed = true;
    this.queue = null;
    this.queuedBytes = 0;
    this.sentCloseCode = CLOSE.tooSlow;
    this.ws.close(CLOSE.tooSlow, "too slow: reconnect and resume");
    setTimeout(() => this.ws.terminate(), SLOW_CLOSE_GRACE_MS).unref();
  }

  /** Writes what is queued, then starts the close handshake. */
  close(code: number, reason: string): void {
    if (this.closed) return;
    this.flushWrites();
    this.closed = true;
    this.sentCloseCode = code;
    this.ws.close(code, reason);
  }
}
