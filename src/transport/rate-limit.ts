export interface RateLimitOptions {
  /** Messages per second a connection may send on average (0: no limit). */
  perSecond: number;
  /** Messages a connection may send at once after being quiet. */
  burst: number;
  /** Refused frames, forgiven at one per second, after which the sender counts as abusive. */
  strikes: number;
  /** Frames over the rate that may wait, in order, to be handled as the rate allows; past it they are refused. */
  hold: number;
}

/**
 * A connection's budget: a token bucket (one token a frame; bulk replies such as history are
 * charged in proportion to their bytes, which may leave it in debt), plus a strike count for
 * frames refused outright: a client that keeps overflowing its hold piles up strikes faster
 * than they are forgiven and is eventually closed (1008).
 */
export class RateLimiter {
  private tokens: number;
  private strikes = 0;
  private last: number;

  readonly options: RateLimitOptions;

  constructor(options: RateLimitOptions, now: number) {
    this.options = options;
    this.tokens = options.burst;
    this.last = now;
  }

  get limited(): boolean {
    return this.options.perSecond > 0;
  }

  /** Takes one token for a frame arriving at `now` (milliseconds); false when there is none yet. */
  take(now: number): boolean {
    if (!this.limited) return true;
    this.refill(now);
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Work done for the connection that costs `tokens` (may be fractional); the bucket may go negative. */
  charge(tokens: number, now: number): void {
    if (!this.limited) return;
    this.refill(now);
    this.tokens -= tokens;
  }

  /** A frame refused outright; true when the sender has now been refused too often (abusive). */
  strike(now: number): boolean {
    if (!this.limited) return false;
    this.refill(now);
    this.strikes += 1;
    return this.options.strikes > 0 && this.strikes > this.options.strikes;
  }

  /** Milliseconds from `now` until a frame's token is there. */
  msUntilToken(now: number): number {
    return this.msUntil(1, now);
  }

  /** Milliseconds from `now` until the bucket is out of debt (bulk work may go on). */
  msUntilPaid(now: number): number {
    return this.msUntil(0, now);
  }

  private msUntil(level: number, now: number): number {
    if (!this.limited) return 0;
    this.refill(now);
    return this.tokens >= level ? 0 : Math.ceil(((level - this.tokens) / this.options.perSecond) * 1000);
  }

  private refill(now: number): void {
    const elapsed = Math.max(0, now - this.last) / 1000;
    this.last = Math.max(this.last, now);
    this.tokens = Math.min(this.options.burst, this.tokens + elapsed * this.options.perSecond);
    this.strikes = Math.max(0, this.strikes - elapsed);
  }
}

/** No limit: `take` is always true and changes nothing, so every connection can share this one. */
const UNLIMITED = new RateLimiter({ perSecond: 0, burst: 0, strikes: 0, hold: 0 }, 0);

/** A connection's bucket: its own under a limit, the shared unlimited one without. */
export const rateLimiterFor = (options: RateLimitOptions, now: number): RateLimiter =>
  options.perSecond <= 0 ? UNLIMITED : new RateLimiter(options, now);
