/**
 * The retention schedule the durable stores share. Count: a room is pruned in steps of 1% of its
 * limit, so the delete runs once per many appends, not on each. Age: at start, then every minute
 * (or every `maxAgeMs` when shorter).
 */
export class CountPruning {
  private readonly prunedTo = new Map<string, number>();

  private readonly maxPerRoom: number;

  constructor(maxPerRoom: number) {
    this.maxPerRoom = maxPerRoom;
  }

  /** The deletes due once rooms reach these last seqs: [room, delete up to this seq]. */
  due(lastSeqs: Iterable<readonly [string, number]>): [string, number][] {
    if (this.maxPerRoom <= 0) return [];
    const step = Math.max(1, Math.floor(this.maxPerRoom / 100));
    const due: [string, number][] = [];
    for (const [room, last] of lastSeqs) {
      const cutoff = last - this.maxPerRoom;
      if (cutoff >= (this.prunedTo.get(room) ?? 0) + step) {
        due.push([room, cutoff]);
        this.prunedTo.set(room, cutoff);
      }
    }
    return due;
  }

  /** A delete that failed: tried again with a later append. */
  failed(room: string): void {
    this.prunedTo.delete(room);
  }
}

/** Calls `prune(cutoff ts)` now and then periodically while `maxAgeMs` > 0; the timer holds no process open. */
export const scheduleAgePruning = (maxAgeMs: number, prune: (cutoff: number) => void): (() => void) => {
  if (maxAgeMs <= 0) return () => {};
  const tick = () => prune(Date.now() - maxAgeMs);
  const timer = setInterval(tick, Math.min(60_000, maxAgeMs));
  timer.unref();
  tick();
  return () => clearInterval(timer);
};
