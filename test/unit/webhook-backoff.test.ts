import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { afterFailure, afterSuccess, MAX_RETRY_MS, retryDelay } from "../../src/webhooks/backoff.ts";
import { freshState } from "../../src/webhooks/endpoints.ts";

describe("webhook retries", () => {
  test("the wait doubles with each failure in a row, between half and all of it, capped", () => {
    const low = [1, 2, 3, 4].map((n) => retryDelay(n, () => 0));
    const high = [1, 2, 3, 4].map((n) => retryDelay(n, () => 1));
    assert.deepEqual(low, [500, 1000, 2000, 4000]);
    assert.deepEqual(high, [1000, 2000, 4000, 8000]);
    assert.equal(
      retryDelay(100, () => 1),
      MAX_RETRY_MS,
    );
  });

  test("an endpoint failing for the whole period is disabled with the reason; a success forgets the failures", () => {
    const random = () => 0.5;
    let state = afterFailure(freshState(0), { at: 1000, status: 503, error: "HTTP 503" }, 10_000, random);
    assert.equal(state.failingSince, 1000);
    assert.equal(state.failures, 1);
    assert.equal(state.nextAttemptAt, 1750);
    state = afterFailure(state, { at: 5000, status: null, error: "ECONNREFUSED" }, 10_000, random);
    assert.equal(state.disabledAt, null);
    assert.equal(state.lastStatus, null);
    const ok = afterSuccess(state, { at: 6000, status: 200, error: null });
    assert.deepEqual([ok.failures, ok.failingSince, ok.lastError, ok.lastSuccessAt], [0, null, null, 6000]);
    state = afterFailure(state, { at: 11_000, status: 500, error: "HTTP 500" }, 10_000, random);
    assert.equal(state.disabledAt, 11_000);
    assert.match(
      state.disabledReason ?? "",
      /failed since 1970-01-01T00:00:01.000Z \(3 in a row\); the last: HTTP 500/,
    );
  });
});
