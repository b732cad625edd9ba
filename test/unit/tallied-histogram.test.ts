import assert from "node:assert/strict";
import { test } from "node:test";
import { Histogram, Registry } from "prom-client";
import { TalliedHistogram } from "../../src/http/tallied-histogram.ts";

test("a tallied histogram scrapes as prom-client's own histogram does for the same observations", async () => {
  const buckets = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];
  const [theirs, ours] = [new Registry(), new Registry()];
  const reference = new Histogram({ name: "parley_t_seconds", help: "Test.", buckets, registers: [theirs] });
  const tallied = new TalliedHistogram({ name: "parley_t_seconds", help: "Test.", buckets, registers: [ours] });
  // on a bound, between bounds, below the first, above the last
  for (const value of [0, 0.0001, 0.00011, 0.001, 0.02, 0.5, 1, 1.5, 30]) {
    reference.observe(value);
    tallied.tally(value);
  }
  const text = await ours.metrics();
  assert.equal(text, await theirs.metrics());
  assert.match(text, /parley_t_seconds_bucket\{le="0\.0001"\} 2\n/);
  assert.match(text, /parley_t_seconds_bucket\{le="\+Inf"\} 9\n/);
  assert.match(text, /parley_t_seconds_count 9\n/);
});
