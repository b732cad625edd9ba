export interface RateLimitOptions {
  /** Messages per second a connection may send on average (0: no limit). */
  perSecond: number;
  /** Messages a connection may send at once after being quiet. */
  burst: number;
  /** Refused messages, forgiven at one per second, after which the sender counts as abusive. */
  strikes: number;
}

/**
 * `refused`: over the limit, tell the sender. `dropped`: over the limit again before any
 * message got through, past `burst` refusals: a flood, dropped without an answer (answering
 * every frame of a flood would cost more than the flood). `abusive`: close it.
 */
export type RateVerdict = "ok" | "refused" | "dropped" | "abusive";

/**
 * A token bucket per connection, plus a strike count: a client that stays over the rate
 * keeps piling up refusals faster than they are forgiven and is eventually closed (1008),
 * while a client that only bursts now and then is merely told to slow down.
 */
export class RateLimiter {
  private tokens: number;
  private strikes = 0;
  private refusedSinceOk = 0;
  private last: number;

  constructor(
    private readonly options: RateLimitOptions,
    now: number,
  ) {
    this.tokens = options.burst;
    this.last = now;
  }

  /** Takes one token for a message arriving at `now` (milliseconds). */
  take(now: number): RateVerdict {
    const { perSecond, burst, strikes } = this.options;
    if (perSecond <= 0) return "ok";
    const elapsed = Math.max(0, now - this.last) / 1000;
    this.last = now;
    this.tokens = Math.min(burst, this.tokens + elapsed * perSecond);
    this.strikes = Math.max(0, this.strikes - elapsed);
    if (this.tokens >= 1) {
      this.tokens -= 1;
      this.refusedSinceOk = 0;
      return "ok";
    }
    this.strikes += 1;
    if (strikes > 0 && this.strikes > strikes) return "abusive";
    return ++this.refusedSinceOk > burst ? "dropped" : "refused";
  }

  /** Milliseconds until the next token (as of the last `take`). */
  get msUntilToken(): number {
    const { perSecond } = this.options;
    return perSecond <= 0 ? 0 : Math.ceil(((1 - Math.min(1, this.tokens)) / perSecond) * 1000);
  }
}

/** No limit: `take` is always "ok" and changes nothing, so every connection can share this one. */
const UNLIMITED = new RateLimiter({ perSecond: 0, burst: 0, strikes: 0 }, 0);

/** A connection's bucket: its own under a limit, the shared unlimited one without. */
export const rateLimiterFor = (options: RateLimitOptions, now: number): RateLimiter =>
  options.perSecond <= 0 ? UNLIMITED : new RateLimiter(options, now);
