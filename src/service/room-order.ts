import type { ChatMessage } from "../chat/message.ts";
import { RoomSequencer } from "../chat/sequencer.ts";
import type { HistoryStore } from "../store/history-store.ts";

export interface RoomOrderOptions {
  store: HistoryStore;
  /** true when the broker hands messages on in seq order and loses none (in-process): no sequencing. */
  ordered: boolean;
  /** How long a gap may stay open before it is read from the store. */
  gapWaitMs: number;
  /** Each message, per room in seq order, exactly once. */
  emit: (message: ChatMessage) => void;
}

/** Messages read per store call while filling a gap. */
const FILL_CHUNK = 500;
/** Held messages past which a gap is filled at once rather than after the wait. */
const MAX_HELD = 5000;
/** Retry delay of a fill whose store read failed. */
const RETRY_MS = 1000;

interface Waiter {
  seq: number;
  resolve: () => void;
}

/**
 * Delivers a room's messages in seq order, exactly once, however they arrive: through a
 * RoomSequencer, with gaps that stay open past `gapWaitMs` (or after the broker lost its link)
 * read back from the store. With an ordered broker it is a pass-through.
 */
export class RoomOrder {
  private readonly sequencer: RoomSequencer<ChatMessage>;
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly filling = new Set<string>();
  private readonly waiters = new Map<string, Waiter[]>();
  private closed = false;
  /** Gaps read back from the store, and the messages that brought. */
  readonly stats = { gapFills: 0, filledMessages: 0, fillFailures: 0 };

  private readonly options: RoomOrderOptions;

  constructor(options: RoomOrderOptions) {
    this.options = options;
    this.sequencer = new RoomSequencer((_room, message) => options.emit(message));
  }

  /** A message from the broker. */
  offer(message: ChatMessage): void {
    if (this.options.ordered) {
      this.options.emit(message);
      return;
    }
    const room = message.room;
    this.sequencer.offer(room, message);
    this.afterChange(room);
  }

  /**
   * A member of this node read the room up to `lastSeq` (after subscribing): starts the room there
   * if it is new, and resolves once every message up to `lastSeq` has been handed on, so the
   * member can go live without a gap or a repeat.
   */
  settle(room: string, lastSeq: number): Promise<void> {
    if (this.options.ordered) return Promise.resolve();
    this.sequencer.start(room, lastSeq);
    this.afterChange(room);
    if (this.sequencer.position(room) >= lastSeq) return Promise.resolve();
    this.sequencer.expect(room, lastSeq);
    this.armGap(room);
    return new Promise((resolve) => {
      const list = this.waiters.get(room) ?? [];
      list.push({ seq: lastSeq, resolve });
      this.waiters.set(room, list);
    });
  }

  /** Last seq handed on in the room; -1 when not started or when the broker orders by itself. */
  position(room: string): number {
    return this.options.ordered ? -1 : this.sequencer.position(room);
  }

  /** True when `ensureStarted` has nothing to do: the broker orders, or the room is started already. */
  isStarted(room: string): boolean {
    return this.options.ordered || this.sequencer.isStarted(room);
  }

  /** Starts a room from the store's end when nobody read it yet (text members get no history). */
  async ensureStarted(room: string): Promise<void> {
    if (this.isStarted(room)) return;
    const { last } = await this.options.store.bounds(room);
    await this.settle(room, last);
  }

  /** The broker may have lost messages (it reconnected): read every room's tail back. */
  resync(): void {
    if (this.options.ordered) return;
    for (const room of this.sequencer.startedRooms()) void this.fill(room, true);
  }

  /** Nobody here is in the room any more. */
  drop(room: string): void {
    const timer = this.timers.get(room);
    if (timer) clearTimeout(timer);
    this.timers.delete(room);
    this.sequencer.drop(room);
    for (const waiter of this.waiters.get(room) ?? []) waiter.resolve();
    this.waiters.delete(room);
  }

  close(): void {
    this.closed = true;
    for (const room of [...this.timers.keys()]) this.drop(room);
  }

  private afterChange(room: string): void {
    const waiting = this.waiters.get(room);
    if (waiting) this.wake(room, waiting);
    if (!this.sequencer.hasGap(room)) return;
    if (this.sequencer.heldCount(room) > MAX_HELD) void this.fill(room, false);
    else this.armGap(room);
  }

  private wake(room: string, waiting: Waiter[]): void {
    const position = this.sequencer.position(room);
    const still = waiting.filter((w) => w.seq > position);
    for (const w of waiting) if (w.seq <= position) w.resolve();
    if (still.length > 0) this.waiters.set(room, still);
    else this.waiters.delete(room);
  }

  private armGap(room: string, delay = this.options.gapWaitMs): void {
    if (this.timers.has(room) || this.closed) return;
    const timer = setTimeout(() => {
      this.timers.delete(room);
      if (this.sequencer.hasGap(room)) void this.fill(room, false);
    }, delay);
    timer.unref();
    this.timers.set(room, timer);
  }

  /** Reads what the room is owed from the store, from its position on; `toEnd` reads to the room's end. */
  private async fill(room: string, toEnd: boolean): Promise<void> {
    if (this.filling.has(room) || this.closed) return;
    this.filling.add(room);
    try {
      this.stats.gapFills++;
      for (let round = 0; round < 1000 && (toEnd || this.sequencer.hasGap(room)); round++) {
        if (!this.sequencer.isStarted(room)) break;
        const from = this.sequencer.position(room);
        const chunk = await this.options.store.after(room, from, FILL_CHUNK);
        if (!this.sequencer.isStarted(room)) break; // dropped meanwhile
        const first = chunk[0];
        // seqs missing below what the store holds were deleted or pruned: they never come
        if (first && first.seq > this.sequencer.position(room) + 1) this.sequencer.skipTo(room, first.seq - 1);
        for (const message of chunk) this.sequencer.offer(room, message);
        this.stats.filledMessages += chunk.length;
        if (chunk.length < FILL_CHUNK) {
          if (this.sequencer.hasGap(room) && chunk.length === 0) {
            // owed seqs the store no longer holds: move past them
            this.sequencer.skipTo(room, this.sequencer.skipTarget(room));
          }
          break;
        }
      }
    } catch {
      this.stats.fillFailures++;
      this.filling.delete(room);
      this.armGap(room, RETRY_MS);
      return;
    }
    this.filling.delete(room);
    this.afterChange(room);
  }
}
