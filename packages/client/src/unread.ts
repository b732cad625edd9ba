import type { Timers } from "./types.ts";

/** A room's `read` frames go out at most this often; in between, only the latest position is kept. */
export const READ_SEND_INTERVAL_MS = 1000;

interface Position {
  /** Messages after the read position. */
  count: number;
  /** The read position, when known (from `joined` or `read`; `welcome` gives counts only). */
  readSeq: number | undefined;
  /** The count already includes every message up to this seq (a resume's catch-up is in `joined.unread`). */
  countedTo: number | undefined;
}

export interface UnreadHost {
  sendRead(room: string, seq: number): boolean;
  changed(room: string, count: number): void;
  timers: Timers;
}

/**
 * A signed-in user's unread counts: set by the server (`welcome`, `joined`, `read` from any of the
 * user's connections), counted up locally for each new message after the read position.
 */
export class UnreadCounts {
  private readonly rooms = new Map<string, Position>();
  /** Per room: the highest seq sent in a `read`, the one waiting for the next window, and the window's timer. */
  private readonly outgoing = new Map<string, { sent: number; waiting: number | undefined; timer: unknown }>();

  private readonly host: UnreadHost;

  constructor(host: UnreadHost) {
    this.host = host;
  }

  get(room: string): number | undefined {
    return this.rooms.get(room)?.count;
  }

  all(): Record<string, number> {
    return Object.fromEntries([...this.rooms].map(([room, p]) => [room, p.count]));
  }

  welcomed(unread: Record<string, number> | undefined): void {
    if (!unread) return;
    for (const [room, count] of Object.entries(unread)) {
      const known = this.rooms.get(room);
      if (typeof count === "number") this.set(room, { count, readSeq: known?.readSeq, countedTo: known?.countedTo });
    }
  }

  joined(room: string, lastSeq: number, count: number | undefined): void {
    if (count === undefined) return;
    // The count leaves out edits, deletes and reactions, so the position is not lastSeq - count: keep what is known.
    this.set(room, { count, readSeq: this.rooms.get(room)?.readSeq, countedTo: lastSeq });
  }

  /** A new message (each once, from the room's de-duplicated stream). */
  message(room: string, seq: number): void {
    const position = this.rooms.get(room);
    if (!position || seq <= Math.max(position.readSeq ?? 0, position.countedTo ?? 0)) return;
    this.set(room, { count: position.count + 1, readSeq: position.readSeq, countedTo: seq });
  }

  /** The server's `read`: the user's position moved (here or on another connection). */
  read(room: string, seq: number, count: number): void {
    const known = this.rooms.get(room);
    if (known?.readSeq !== undefined && seq < known.readSeq) return; // an older answer overtaken by our own newer mark
    this.set(room, { count, readSeq: seq, countedTo: known?.countedTo });
  }

  /**
   * Marks `room` read up to `seq` (whose room holds events up to `lastSeq`); sent at most once a second.
   * `messagesAfter`: the messages after `seq`, when the room holds all of them; else the count is a bound
   * until the server's `read` answers with the exact one.
   */
  mark(room: string, seq: number, lastSeq: number, messagesAfter?: number): void {
    const position = this.rooms.get(room);
    if (position?.readSeq !== undefined && seq <= position.readSeq) return;
    const bound = Math.min(Math.max(0, lastSeq - seq), position?.count ?? Number.POSITIVE_INFINITY);
    this.set(room, {
      count: seq >= lastSeq ? 0 : (messagesAfter ?? bound),
      readSeq: seq,
      countedTo: Math.max(lastSeq, position?.countedTo ?? 0),
    });
    const out = this.outgoing.get(room);
    if (!out) {
      if (this.host.sendRead(room, seq)) this.openWindow(room, seq);
      return;
    }
    out.waiting = Math.max(out.waiting ?? 0, seq);
  }

  /** Sends every position still waiting for its window (the client is closing). */
  flush(): void {
    for (const [room, out] of this.outgoing) {
      this.host.timers.clearTimeout(out.timer);
      if (out.waiting !== undefined && out.waiting > out.sent) this.host.sendRead(room, out.waiting);
    }
    this.outgoing.clear();
  }

  /** The connection is gone: positions come again with the next `welcome` and `joined`. */
  lost(): void {
    for (const out of this.outgoing.values()) this.host.timers.clearTimeout(out.timer);
    this.outgoing.clear();
  }

  forget(room: string): void {
    this.rooms.delete(room);
  }

  private openWindow(room: string, sent: number): void {
    const out = { sent, waiting: undefined as number | undefined, timer: undefined as unknown };
    out.timer = this.host.timers.setTimeout(() => {
      this.outgoing.delete(room);
      if (out.waiting !== undefined && out.waiting > out.sent && this.host.sendRead(room, out.waiting)) {
        this.openWindow(room, out.waiting);
      }
    }, READ_SEND_INTERVAL_MS);
    this.outgoing.set(room, out);
  }

  private set(room: string, position: Position): void {
    const before = this.rooms.get(room)?.count;
    this.rooms.set(room, position);
    if (before !== position.count) this.host.changed(room, position.count);
  }
}
