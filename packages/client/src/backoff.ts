/** Reconnect delays: exponential growth capped at `maxDelay`, with full jitter. */
export interface BackoffOptions {
  /** The cap of the first retry's delay, in ms. */
  minDelay: number;
  /** No retry waits longer than this, in ms. */
  maxDelay: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { minDelay: 500, maxDelay: 30_000 };

/**
 * The delay before retry number `attempt` (1, 2, …): uniform in [0, min(maxDelay, minDelay·2^(attempt−1))).
 * "Full jitter" spreads a crowd of clients that lost the same server, so they do not come back in lockstep.
 */
export const backoffDelay = (attempt: number, options: BackoffOptions, random: () => number): number => {
  const ceiling = Math.min(options.maxDelay, options.minDelay * 2 ** Math.max(0, attempt - 1));
  return Math.floor(random() * ceiling);
};
