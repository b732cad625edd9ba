/**
 * At most one relayed typing notice per person and room per `intervalMs`. Pure: the caller
 * passes the clock. Entries older than the interval are dropped as new ones arrive, so the
 * table holds only the people typing right now.
 */
export class TypingThrottle {
  private readonly last = new Map<string, number>();

  private readonly intervalMs: number;

  constructor(intervalMs: number) {
    this.intervalMs = intervalMs;
  }

  /** true when a notice from `who` in `room` at `now` should be relayed. */
  allow(who: string, room: string, now: number): boolean {
    const key = `${who}\u0000${room}`;
    const previous = this.last.get(key);
    if (previous !== undefined && now - previous < this.intervalMs) return false;
    this.last.delete(key); // re-inserted last: the map stays in time order
    this.last.set(key, now);
    for (const [oldest, at] of this.last) {
      if (now - at < this.intervalMs) break;
      this.last.delete(oldest);
    }
    return true;
  }

  get size(): number {
    return this.last.size;
  }
}
