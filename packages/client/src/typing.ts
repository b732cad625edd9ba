/** Send at most one `typing` per room this often: the server relays one per ~3 s anyway, so more is wasted. */
export const TYPING_SEND_INTERVAL_MS = 2500;

/** The client side of the typing throttle: per room, the time the last `typing` frame went out. */
export class TypingThrottle {
  private readonly last = new Map<string, number>();

  private readonly intervalMs: number;
  private readonly now: () => number;

  constructor(intervalMs: number, now: () => number) {
    this.intervalMs = intervalMs;
    this.now = now;
  }

  /** True (and counted) when a `typing` for `room` may go out now. */
  allow(room: string): boolean {
    const now = this.now();
    const last = this.last.get(room);
    if (last !== undefined && now - last < this.intervalMs) return false;
    this.last.set(room, now);
    return true;
  }

  forget(room: string): void {
    this.last.delete(room);
  }
}
