import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ADMIN_THROTTLE, AdminThrottle } from "../../src/http/admin-throttle.ts";

describe("admin token throttle", () => {
  test("the wait doubles with each wrong token past the free ones, up to the cap; a right one clears it", () => {
    let now = 0;
    const throttle = new AdminThrottle(ADMIN_THROTTLE, () => now);
    const waits: number[] = [];
    for (let i = 0; i < 12; i++) {
      now += (throttle.retryAfter("a") + 1) * 1000; // a patient guesser: waits out each block
      assert.equal(throttle.retryAfter("a"), 0);
      throttle.failed("a");
      waits.push(throttle.retryAfter("a"));
    }
    assert.deepEqual(waits, [0, 0, 0, 0, 1, 2, 4, 8, 16, 32, 60, 60]);
    assert.equal(throttle.retryAfter("b"), 0, "another address is not affected");
    throttle.succeeded("a");
    assert.equal(throttle.retryAfter("a"), 0);
  });

  test("memory is bounded: the least recently failing addresses are forgotten first", () => {
    const throttle = new AdminThrottle({ ...ADMIN_THROTTLE, freeFailures: 1, maxAddresses: 100 });
    for (let i = 0; i < 1000; i++) throttle.failed(`10.0.${i >> 8}.${i & 255}`);
    let remembered = 0;
    for (let i = 0; i < 1000; i++) if (throttle.retryAfter(`10.0.${i >> 8}.${i & 255}`) > 0) remembered++;
    assert.equal(remembered, 100);
    assert.ok(throttle.retryAfter("10.0.3.231") > 0, "the latest is still slowed");
  });
});
