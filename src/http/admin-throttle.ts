import { LRUCache } from "lru-cache";

export interface AdminThrottleOptions {
  /** Wrong tokens an address may send in a row, answered 401, before it must wait. */
  freeFailures: number;
  /** The first wait after them; each further failure doubles it, up to `maxDelayMs`. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Addresses remembered at once: the least recently failed are forgotten first (bounded memory). */
  maxAddresses: number;
  /** An address with no failure for this long starts afresh. */
  forgetAfterMs: number;
}

export const ADMIN_THROTTLE: AdminThrottleOptions = {
  freeFailures: 5,
  baseDelayMs: 1000,
  maxDelayMs: 60_000,
  maxAddresses: 10_000,
  forgetAfterMs: 15 * 60_000,
};

interface Failures {
  count: number;
  /** No token is checked from this address before then. */
  blockedUntil: number;
}

/**
 * Guessing the admin token, slowed per address: a few wrong tries are free, then each one more
 * closes the address for twice as long as the last (1 s, 2 s, 4 s … 60 s). Another address, and so
 * an administrator elsewhere, is not affected.
 */
export class AdminThrottle {
  private readonly failures: LRUCache<string, Failures>;

  private readonly options: AdminThrottleOptions;
  private readonly now: () => number;

  constructor(options: AdminThrottleOptions = ADMIN_THROTTLE, now: () => number = Date.now) {
    this.options = options;
    this.now = now;
    this.failures = new LRUCache({ max: options.maxAddresses, ttl: options.forgetAfterMs });
  }

  /** Seconds the address must wait before its next try; 0 when it may try now. */
  retryAfter(ip: string): number {
    const entry = this.failures.get(ip, { updateAgeOnGet: false });
    const wait = (entry?.blockedUntil ?? 0) - this.now();
    return wait > 0 ? Math.ceil(wait / 1000) : 0;
  }

  failed(ip: string): void {
    const entry = this.failures.get(ip) ?? { count: 0, blockedUntil: 0 };
    entry.count++;
    // The last free failure already starts the first wait.
    const over = entry.count - this.options.freeFailures + 1;
    if (over > 0) {
      const delay = Math.min(this.options.baseDelayMs * 2 ** Math.min(over - 1, 30), this.options.maxDelayMs);
      entry.blockedUntil = this.now() + delay;
    }
    this.failures.set(ip, entry);
  }

  succeeded(ip: string): void {
    this.failures.delete(ip);
  }
}
