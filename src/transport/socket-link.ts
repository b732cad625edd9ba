import type { Socket } from "node:net";
import { CLOSING, type Closing } from "../protocol/close-codes.ts";
import { textFrame } from "../protocol/ws-frame.ts";
import type { ClientLink, ConnectionInfo } from "./client-link.ts";
import type { Fanout } from "./fanout.ts";
import type { Beating } from "./heartbeat.ts";
import type { RateLimiter } from "./rate-limit.ts";
import type { Wire } from "./wire.ts";
import { written } from "./written.ts";

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

const SLOW_CLOSE_GRACE_MS = 1000;
/** A client that has not taken a bulk reply's predecessor within this long counts as too slow. */
const DRAIN_TIMEOUT_MS = 10_000;
/**
 * What earlier turns may leave unwritten for one connection, as a multiple of
 * `--max-queue-bytes`, even while it reads (a trickle); past it the connection is closed as too slow.
 */
const HARD_CAP_FACTOR = 4;
/** Over the cap, a client that takes nothing from its socket for this long did not read: it is too slow. */
const STALL_MS = 500;
/** Queues up to this size are copied into one buffer for the write; bigger ones are written as they are (writev). */
const COPY_BELOW_BYTES = 64 * 1024;
/** Bulk replies (history) cost one rate token per this many bytes sent. */
export const BULK_BYTES_PER_TOKEN = 16 * 1024;

/** One client: its WebSocket (wire.ts) plus the queue of frames waiting for this turn's write. */
export class SocketLink implements ClientLink, Beating {
  /**
   * Frames waiting for this turn's write: null when none (most connections, most of the time),
   * the frame itself when one (the usual case in a busy turn: no array per recipient), else a list.
   */
  private queue: Buffer | Buffer[] | null = null;
  private queuedBytes = 0;
  closed = false;
  /** Heartbeat: the socket's bytesRead at the last beat (-1: none yet). */
  private readAtBeat = -1;
  /** The close code Parley sent, if it closed the connection (the peer's echo may differ or be missing). */
  sentCloseCode: number | undefined;
  /** READ_HOLD bits of who paused reading (0: reading). */
  private readHolds = 0;
  /** Frames over the rate waiting, in order (a string, or null for a binary frame); null when none (socket-events.ts). */
  held: Array<string | null> | null = null;
  /** When the first held frame's token is due. */
  heldTimer: NodeJS.Timeout | undefined;
  /** Bytes handed to the socket, and of those, taken by the client as of the last look (written − unwritten). */
  private written = 0;
  private takenSeen = 0;
  /** When the client was last seen taking bytes, or under the cap (ms). */
  private progressAt = 0;
  /** A stall seen in `overflows`, to be judged after the turn's I/O. */
  private stallJudgement = false;
  /** The connection log's number for it (0: not logged) and when it opened (ms, performance clock): service/watch.ts. */
  logId = 0;
  openedAt = 0;

  /**
   * The wire owns parsing, control frames and the close handshake; Parley writes its data
   * frames straight to its socket, so one write can carry many pre-built frames.
   */
  readonly wire: Wire;
  readonly info: ConnectionInfo;
  private readonly fanout: Fanout;
  private readonly options: ConnectionOptions;
  /** This connection's token bucket (one shared, stateless bucket when there is no limit). */
  readonly rate: RateLimiter;

  constructor(wire: Wire, info: ConnectionInfo, fanout: Fanout, options: ConnectionOptions, rate: RateLimiter) {
    this.wire = wire;
    this.info = info;
    this.fanout = fanout;
    this.options = options;
    this.rate = rate;
  }

  /** The TCP socket under the wire (read through it: one field less per connection). */
  private get socket(): Socket {
    return this.wire.socket;
  }

  /** Queues one text frame for this client alone (acks, errors, history, replies). */
  send(payload: string): void {
    this.enqueue(textFrame(payload), false);
  }

  enqueue(frame: Buffer, droppable: boolean): void {
    if (this.closed) return;
    const max = this.options.maxQueueBytes;
    if (this.socket.writableLength + this.queuedBytes + frame.length > max && this.overflows(frame, droppable, max)) {
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

  /**
   * Past the cap with this frame: true when it is not queued. Too slow means "did not read":
   * what earlier turns left unwritten is over the cap and the client has taken nothing for
   * STALL_MS. This turn's frames do not count (mostly the room's batch, one buffer shared by
   * every recipient), nor does a backlog the client is working through, so a burst does not
   * close a reader that keeps up; with four times the cap left unwritten it is closed however
   * it reads, so what one connection keeps alive after the others have taken it is bounded.
   * Presence is shed first; a chat message closes the client (4000). A stall is judged only
   * after the turn's I/O (`judgeStall`): when the loop was held past STALL_MS (a long turn, a GC
   * pause) what the client took meanwhile is not seen until the poll phase reports it.
   */
  private overflows(frame: Buffer, droppable: boolean, max: number): boolean {
    const unwritten = this.socket.writableLength;
    const now = Date.now();
    const taken = this.written - unwritten;
    if (unwritten <= max || taken > this.takenSeen) this.progressAt = now;
    this.takenSeen = taken;
    const stalled = unwritten > max && now - this.progressAt > STALL_MS;
    if (stalled && !this.stallJudgement) {
      this.stallJudgement = true;
      setImmediate(() => this.judgeStall());
    }
    const fits = unwritten <= max * HARD_CAP_FACTOR;
    if (droppable && (stalled || !fits || unwritten + frame.length > max)) {
      this.options.stats.shedFrames++;
      return true; // presence first: it can be re-read, a chat message must not be skipped
    }
    if (fits) return false;
    this.dropSlow();
    return true;
  }

  /** After the turn's I/O: closed as too slow if the client has still taken nothing for STALL_MS. */
  private judgeStall(): void {
    this.stallJudgement = false;
    if (this.closed) return;
    const unwritten = this.socket.writableLength;
    const taken = this.written - unwritten;
    if (unwritten <= this.options.maxQueueBytes || taken > this.takenSeen) {
      this.progressAt = Date.now();
      this.takenSeen = taken;
    } else if (Date.now() - this.progressAt > STALL_MS) this.dropSlow();
  }

  flushWrites(): void {
    const queue = this.queue;
    if (queue === null) return;
    const bytes = this.queuedBytes;
    this.queue = null;
    this.queuedBytes = 0;
    if (this.closed || this.socket.destroyed || !this.socket.writable) return;
    this.options.stats.bytesOut += bytes;
    this.written += bytes;
    if (!Array.isArray(queue)) this.socket.write(queue);
    else if (bytes < COPY_BELOW_BYTES) this.socket.write(Buffer.concat(queue, bytes));
    else {
      // Big frames (a room's batch) are shared by every recipient: written as they are, in one
      // writev, so this connection holds references, not a copy of its own.
      this.socket.cork();
      for (const frame of queue) this.socket.write(frame);
      this.socket.uncork();
    }
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
  async drained(): Promise<boolean> {
    const deadline = Date.now() + DRAIN_TIMEOUT_MS;
    while (!this.closed && this.backlogBytes > this.bulkBudget) {
      if (Date.now() >= deadline) {
        this.dropSlow();
        return false;
      }
      await this.writeProgress(deadline);
    }
    return !this.closed;
  }

  /**
   * Resolves when the socket has written what it holds, closed, or the deadline passed; at once
   * (after this turn's writes) when what waits is not handed to the socket yet.
   */
  private writeProgress(deadline: number): Promise<void> {
    const socket = this.socket;
    if (socket.writableLength === 0 || socket.destroyed || !socket.writable) {
      return new Promise((done) => setImmediate(done));
    }
    return written(socket, deadline);
  }

  /**
   * Charges `bytes` of a bulk reply just queued to the connection's rate budget, then
   * resolves true when the next part may go: the client took the last one and the budget is
   * out of debt. False when the connection closed meanwhile.
   */
  async bulkSent(bytes: number): Promise<boolean> {
    this.rate.charge(bytes / BULK_BYTES_PER_TOKEN, Date.now());
    for (;;) {
      if (!(await this.drained())) return false;
      const wait = this.rate.msUntilPaid(Date.now());
      if (wait === 0) return true;
      await new Promise((done) => setTimeout(done, wait));
    }
  }

  /** Stops reading the socket on behalf of `holder` (a READ_HOLD bit): the kernel, then TCP, hold what the client sends. */
  holdReading(holder: number): void {
    if (this.readHolds === 0 && !this.closed) this.wire.pause();
    this.readHolds |= holder;
  }

  /** `holder` no longer needs reading paused; reading resumes when nobody does. */
  releaseReading(holder: number): void {
    if ((this.readHolds & holder) === 0) return;
    this.readHolds &= ~holder;
    if (this.readHolds === 0) this.wire.resume();
  }

  /** Closing: read again, so the close handshake's answer is heard. */
  private readForClose(): void {
    if (this.readHolds === 0) return;
    this.readHolds = 0;
    this.wire.resume();
  }

  heard(): boolean {
    if (this.readHolds !== 0) return true; // Parley stopped reading it, not the client talking
    const read = this.socket.bytesRead;
    if (read === this.readAtBeat) return false;
    this.readAtBeat = read;
    return true;
  }

  ping(): void {
    if (!this.closed) this.wire.ping();
  }

  /** Missed the heartbeat: say so if the peer can still hear, and drop the socket now. */
  expire(): void {
    if (this.wire.closed) return;
    this.closed = true;
    this.queue = null;
    this.queuedBytes = 0;
    this.sentCloseCode = CLOSING.heartbeat.code;
    if (this.wire.open) this.wire.close(CLOSING.heartbeat.code, CLOSING.heartbeat.reason);
    this.wire.terminate(); // 'close' follows at once, and with it the leave
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
    this.sentCloseCode = CLOSING.tooSlow.code;
    this.wire.close(CLOSING.tooSlow.code, CLOSING.tooSlow.reason);
    this.readForClose();
    setTimeout(() => this.wire.terminate(), SLOW_CLOSE_GRACE_MS).unref();
  }

  /** Writes what is queued, then starts the close handshake. */
  close({ code, reason }: Closing): void {
    if (this.closed) return;
    this.flushWrites();
    this.closed = true;
    this.sentCloseCode = code;
    this.wire.close(code, reason);
    this.readForClose();
  }
}
