/**
 * Puts one room's messages back into `seq` order when they arrive from several nodes.
 *
 * Each room has a position: the last seq handed on. A message at position + 1 is handed on at
 * once, then any held ones that now follow it; a later one is held (a gap); an earlier one is a
 * repeat and is dropped. Before a room is started (its position read from the store) everything
 * is held. The in-order case is O(1): one comparison, one increment, one Map lookup.
 * Pure: no timers, no I/O; the caller fills gaps and decides when.
 */
export interface Sequenced {
  seq: number;
}

interface RoomState<T> {
  /** Last seq handed on; -1 while the room is not started. */
  position: number;
  held: Map<number, T>;
  /** The highest seq known to exist (from a store read): reaching it is owed even with nothing held. */
  known: number;
}

export type OfferResult = "delivered" | "held" | "repeat";

export class RoomSequencer<T extends Sequenced> {
  private readonly rooms = new Map<string, RoomState<T>>();

  private readonly deliver: (room: string, item: T) => void;

  /** `deliver` gets every message of every room in order, exactly once. */
  constructor(deliver: (room: string, item: T) => void) {
    this.deliver = deliver;
  }

  /** Starts a room at `position` (everything up to it is handled elsewhere); no-op when started. */
  start(room: string, position: number): void {
    const state = this.state(room);
    if (state.position >= 0) return;
    state.position = position;
    for (const seq of state.held.keys()) if (seq <= position) state.held.delete(seq);
    this.drain(room, state);
  }

  isStarted(room: string): boolean {
    return (this.rooms.get(room)?.position ?? -1) >= 0;
  }

  /** Last seq handed on, or -1 when the room is not started. */
  position(room: string): number {
    return this.rooms.get(room)?.position ?? -1;
  }

  offer(room: string, item: T): OfferResult {
    const state = this.state(room);
    if (item.seq === state.position + 1) {
      state.position = item.seq;
      this.deliver(room, item);
      if (state.held.size > 0) this.drain(room, state);
      return "delivered";
    }
    if (state.position >= 0 && item.seq <= state.position) return "repeat";
    if (state.held.has(item.seq)) return "repeat";
    state.held.set(item.seq, item);
    return "held";
  }

  /** Records that seq `known` exists: until the room reaches it, it has a gap. */
  expect(room: string, known: number): void {
    const state = this.state(room);
    if (known > state.known) state.known = known;
  }

  /** True when a started room is owed messages it has not handed on. */
  hasGap(room: string): boolean {
    const state = this.rooms.get(room);
    if (!state || state.position < 0) return false;
    return state.held.size > 0 || state.known > state.position;
  }

  /** Messages held waiting for a gap to fill. */
  heldCount(room: string): number {
    return this.rooms.get(room)?.held.size ?? 0;
  }

  /**
   * The messages up to `seq` will never come (deleted, or dropped by retention): move past them
   * and hand on what was held behind them.
   */
  skipTo(room: string, seq: number): void {
    const state = this.rooms.get(room);
    if (!state || state.position < 0 || seq <= state.position) return;
    state.position = seq;
    for (const held of state.held.keys()) if (held <= seq) state.held.delete(held);
    this.drain(room, state);
  }

  /** Where a room stuck on a gap the store cannot fill should skip to: just before its first held message, or to the known end. */
  skipTarget(room: string): number {
    const state = this.rooms.get(room);
    if (!state) return -1;
    if (state.held.size === 0) return state.known;
    let min = Number.POSITIVE_INFINITY;
    for (const seq of state.held.keys()) if (seq < min) min = seq;
    return min - 1;
  }

  /** Forgets a room (nobody here is in it any more). */
  drop(room: string): void {
    this.rooms.delete(room);
  }

  startedRooms(): string[] {
    return [...this.rooms].filter(([, s]) => s.position >= 0).map(([room]) => room);
  }

  private drain(room: string, state: RoomState<T>): void {
    for (;;) {
      const next = state.held.get(state.position + 1);
      if (next === undefined) return;
      state.held.delete(next.seq);
      state.position = next.seq;
      this.deliver(room, next);
    }
  }

  private state(room: string): RoomState<T> {
    let state = this.rooms.get(room);
    if (!state) {
      state = { position: -1, held: new Map(), known: 0 };
      this.rooms.set(room, state);
    }
    return state;
  }
}
