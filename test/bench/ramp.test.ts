import assert from "node:assert/strict";
import { test } from "node:test";
import { midpoint, ramp, rateSearch } from "../../bench/lib/ramp.ts";
import type { StepResult } from "../../bench/lib/traffic.ts";

/** Drives the search with a server that passes every rate up to `limit`; returns the rates tried and the bracket. */
const search = (rates: number[], limit: number, bisections = 3) => {
  const tried: number[] = [];
  const it = rateSearch(rates, bisections);
  let next = it.next();
  while (!next.done) {
    tried.push(next.value);
    next = it.next(next.value <= limit);
  }
  return { tried, ...next.value };
};

test("the ramp climbs to the first failing rate, then bisects towards the boundary", () => {
  const { tried, pass, fail } = search([4000, 8000, 16000, 32000], 12345);
  assert.deepEqual(tried, [4000, 8000, 16000, 12000, 14000, 13000]);
  assert.equal(pass, 12000);
  assert.equal(fail, 13000);
});

test("the bracket always holds the boundary and narrows to an eighth of the first gap", () => {
  for (const limit of [4000, 5000, 7999, 8000, 9001, 11111, 15999]) {
    const { pass, fail } = search([4000, 8000, 16000], limit);
    assert.ok(pass !== null && pass <= limit, `limit ${limit}: pass ${pass}`);
    assert.ok(fail !== null && fail > limit, `limit ${limit}: fail ${fail}`);
    // The first gap is 4,000 or 8,000 wide; three halvings leave at most an eighth (plus rounding).
    const gap = limit < 8000 ? 4000 : 8000;
    assert.ok(fail - pass <= gap / 8 + 100, `limit ${limit}: ${pass}..${fail}`);
  }
});

test("a server that passes every rate is not bisected; one that fails the first is bisected from zero", () => {
  assert.deepEqual(search([100, 200, 400], 1e9), { tried: [100, 200, 400], pass: 400, fail: null });
  const low = search([100, 200, 400], 30);
  assert.deepEqual(low.tried, [100, 50, 25, 38]);
  assert.equal(low.pass, 25);
  assert.equal(low.fail, 38);
});

test("midpoints read as round numbers and stop when the gap is closed", () => {
  assert.equal(midpoint(9000, 13000), 11000);
  assert.equal(midpoint(6000, 9000), 7500);
  assert.equal(midpoint(200, 400), 300);
  assert.equal(midpoint(7, 9), 8);
  assert.equal(midpoint(8, 9), null);
});

const step = (sendRate: number, pass: boolean): StepResult => ({
  sendRate,
  sent: sendRate,
  offered: sendRate * 10,
  delivered: pass ? sendRate * 10 : sendRate * 5,
  p50Ms: 1,
  p99Ms: pass ? 5 : 500,
  serverCpu: 0.5,
  generatorCpu: 0.5,
  generatorCpuUsPerDelivery: 1,
  generatorLagP99Ms: 1,
  generatorLagMaxMs: 1,
  generatorGc: { count: 0, totalMs: 0, maxMs: 0 },
  acked: null,
  ackP99Ms: null,
  errors: 0,
  serverCpuUsPerDelivery: 1,
  serverWritesPerDelivery: null,
  closedClients: 0,
  pass,
});

test("a failing rate is retried once; a rate that passes on its retry counts as passed", async () => {
  const calls: number[] = [];
  let flaky = true;
  const result = await ramp(
    [100, 200, 400],
    async (rate) => {
      calls.push(rate);
      // 200 fails once (a noisy moment), then passes; 400 always fails: the boundary is between.
      if (rate === 200 && flaky) {
        flaky = false;
        return step(rate, false);
      }
      return step(rate, rate <= 300);
    },
    60_000,
    () => {},
    1,
  );
  assert.deepEqual(calls, [100, 200, 200, 400, 400, 300]);
  assert.equal(result.maxSendRate, 300);
  assert.equal(result.maxDelivered, 3000);
  assert.equal(result.failedSendRate, 400);
  assert.equal(result.stoppedBy, "p99");
});
