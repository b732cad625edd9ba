import type { ServerResponse } from "node:http";
import type { RoomEvent } from "../../broker/broker.ts";
import type { ChatMessage } from "../../chat/message.ts";
import { encodeMessage } from "../../protocol/json.ts";
import type { HistoryStore } from "../../store/history-store.ts";

/** Why a stream ended: its client left, it read nothing past the bound, the store failed, its access ended. */
export type StreamEnd = "client" | "stalled" | "store" | "revoked";

export interface SseOptions {
  /** A comment line this often keeps proxies from closing an idle stream (and re-reads the store's tail). */
  heartbeatMs: number;
  /** A stream whose socket stays full this long is closed: the client resumes with `Last-Event-ID`. */
  stallMs: number;
}

/** How many messages one store read brings; a slow client never holds more than one read in memory. */
const PAGE = 50;

/** A message, or a change event (`event: edit|delete|react`, data as the JSON protocol's event). */
const messageFrame = (message: ChatMessage): string =>
  message.change
    ? `id: ${message.seq}\nevent: ${message.change.kind}\ndata: ${encodeMessage(message)}\n\n`
    : `id: ${message.seq}\nevent: message\ndata: ${JSON.stringify(message)}\n\n`;

/**
 * One `text/event-stream` of a room. Its position is the seq last written (`id:`), so it never
 * buffers messages: a live message that comes right after it is written at once, anything else
 * (a gap, a message that arrived while the socket was full) is read again from the store. Writes
 * stop while `res.write()` says the socket is full, and resume on `drain`.
 */
export class SseStream {
  private reading = false;
  private wanted = false;
  private blocked = false;
  private closed = false;
  private stallTimer: NodeJS.Timeout | undefined;
  private readonly heartbeat: NodeJS.Timeout;
  /** Called once when the stream ends, whatever ended it. */
  onClose: (reason: StreamEnd) => void = () => {};
  /** Asked at each heartbeat: false (key revoked, token expired, room made private) ends the stream. */
  stillAllowed: () => Promise<boolean> = () => Promise.resolve(true);

  private readonly res: ServerResponse;
  private readonly room: string;
  private readonly store: HistoryStore;
  private lastSeq: number;
  private readonly options: SseOptions;

  constructor(res: ServerResponse, room: string, store: HistoryStore, lastSeq: number, options: SseOptions) {
    this.res = res;
    this.room = room;
    this.store = store;
    this.lastSeq = lastSeq;
    this.options = options;
    this.heartbeat = setInterval(() => {
      this.stillAllowed().then(
        (allowed) => {
          if (allowed) return;
          this.end("revoked");
          this.res.destroy();
        },
        () => {}, // the store is away: the stream goes on, the next heartbeat asks again
      );
      if (!this.blocked) this.write(": heartbeat\n\n");
      this.wake(); // a broker event lost on the way (Redis reconnect) is found here at the latest
    }, options.heartbeatMs);
    this.heartbeat.unref();
    res.on("close", () => this.end("client"));
  }

  /** Writes the response head and starts with what the client missed since `lastSeq`. */
  start(presenceSnapshot: string[], preamble: readonly string[] = []): void {
    this.res.writeHead(200, {
      "Content-Type": "text/event-stream; charset=utf-8",
      "Cache-Control": "no-store",
      "X-Accel-Buffering": "no", // nginx: do not buffer the stream
    });
    this.write(`retry: 2000\n\n`);
    for (const chunk of preamble) this.write(chunk);
    this.write(`event: presence\ndata: ${JSON.stringify({ room: this.room, members: presenceSnapshot })}\n\n`);
    this.wake();
  }

  /** A room event from the broker. */
  event(event: RoomEvent): void {
    if (this.closed) return;
    if (event.type === "message") {
      if (event.message.seq <= this.lastSeq) return;
      if (event.message.seq === this.lastSeq + 1 && !this.reading && !this.blocked) {
        this.lastSeq = event.message.seq;
        this.write(messageFrame(event.message));
      } else {
        this.wake();
      }
    } else if (event.type === "presence" && !this.blocked) {
      // Live only: while behind, presence is skipped (the next connection starts with a snapshot).
      this.write(`event: presence\ndata: ${JSON.stringify(event.presence)}\n\n`);
    } else if (event.type === "delete" && !this.blocked) {
      this.write(`event: delete\ndata: ${JSON.stringify({ room: event.room, seq: event.seq })}\n\n`);
    }
  }

  private wake(): void {
    this.wanted = true;
    if (!this.reading && !this.blocked && !this.closed) void this.pump();
  }

  private async pump(): Promise<void> {
    this.reading = true;
    try {
      while (this.wanted && !this.blocked && !this.closed) {
        this.wanted = false;
        const page = await this.store.after(this.room, this.lastSeq, PAGE);
        for (const message of page) {
          if (this.closed || message.seq <= this.lastSeq) continue;
          this.lastSeq = message.seq;
          // Past a full socket, the rest of the page is read again after `drain`.
          if (!this.write(messageFrame(message))) break;
        }
        if (page.length === PAGE) this.wanted = true;
      }
    } catch {
      this.end("store");
      this.res.destroy();
    } finally {
      this.reading = false;
    }
  }

  /** false when the socket is full: nothing more is written until it drains. */
  private write(chunk: string): boolean {
    if (this.closed) return false;
    if (this.res.write(chunk)) return true;
    if (!this.blocked) {
      this.blocked = true;
      this.res.once("drain", () => {
        this.blocked = false;
        clearTimeout(this.stallTimer);
        this.wake();
      });
      this.stallTimer = setTimeout(() => {
        this.end("stalled");
        this.res.destroy(); // end() would wait for the full socket to drain
      }, this.options.stallMs);
      this.stallTimer.unref();
    }
    return false;
  }

  private end(reason: StreamEnd): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.heartbeat);
    clearTimeout(this.stallTimer);
    this.onClose(reason);
  }
}
