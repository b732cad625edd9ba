import type { DeliveryState } from "./endpoints.ts";

/** The first retry waits about this long; each failure in a row doubles it, up to `MAX_RETRY_MS`. */
export const FIRST_RETRY_MS = 1000;
export const MAX_RETRY_MS = 60 * 60 * 1000;

/**
 * The wait before the next attempt after `failures` failures in a row: exponential, capped, with
 * "equal jitter" (half fixed, half random) so endpoints that failed together do not retry together.
 */
export const retryDelay = (failures: number, random: () => number): number => {
  const full = Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** Math.max(0, Math.min(failures - 1, 30)));
  return Math.round(full / 2 + (full / 2) * random());
};

/** What one attempt ended with: an HTTP status (any), or none with the reason (timeout, refused). */
export interface Attempt {
  at: number;
  status: number | null;
  error: string | null;
}

/** The state after a 2xx: the failures are forgotten. */
export const afterSuccess = (state: DeliveryState, attempt: Attempt): DeliveryState => ({
  ...state,
  failingSince: null,
  failures: 0,
  nextAttemptAt: attempt.at,
  lastAttemptAt: attempt.at,
  lastSuccessAt: attempt.at,
  lastStatus: attempt.status,
  lastError: null,
});

/**
 * The state after a failed attempt: the next one is put off, and an endpoint that has failed
 * for `disableAfterMs` (every attempt since, none succeeding) is disabled with the reason.
 */
export const afterFailure = (
  state: DeliveryState,
  attempt: Attempt,
  disableAfterMs: number,
  random: () => number,
): DeliveryState => {
  const failingSince = state.failingSince ?? attempt.at;
  const failures = state.failures + 1;
  const next: DeliveryState = {
    ...state,
    failingSince,
    failures,
    nextAttemptAt: attempt.at + retryDelay(failures, random),
    lastAttemptAt: attempt.at,
    lastStatus: attempt.status,
    lastError: attempt.error,
  };
  if (attempt.at - failingSince < disableAfterMs) return next;
  const since = new Date(failingSince).toISOString();
  return {
    ...next,
    disabledAt: attempt.at,
    disabledReason: `Every attempt failed since ${since} (${failures} in a row); the last: ${attempt.error}`,
  };
};
