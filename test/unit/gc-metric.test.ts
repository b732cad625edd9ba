import assert from "node:assert/strict";
import { PerformanceObserver } from "node:perf_hooks";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { collectDefaultMetrics, Registry } from "prom-client";
import { countEveryGc } from "../../src/http/gc-metric.ts";

const gcCount = async (registry: Registry): Promise<number> => {
  const text = await registry.metrics();
  return [...text.matchAll(/^nodejs_gc_duration_seconds_count\{[^}]*\} (\d+)$/gm)].reduce(
    (n, m) => n + Number(m[1]),
    0,
  );
};

test("every garbage collection is counted, also when Node delivers several at once", async () => {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const stop = countEveryGc(registry);
  let seen = 0;
  const witness = new PerformanceObserver((list) => {
    seen += list.getEntries().length;
  });
  witness.observe({ entryTypes: ["gc"] });
  try {
    // Allocate without yielding: the collections' entries pile up and arrive in one batch.
    let keep: number[][] = [];
    const until = Date.now() + 300;
    while (Date.now() < until) {
      keep.push(new Array(1000).fill(1));
      if (keep.length > 200) keep = [];
    }
    await sleep(50);
    assert.ok(seen > 1, `collections happened (${seen})`);
    assert.equal(await gcCount(registry), seen, "the metric counts what Node reported");
  } finally {
    witness.disconnect();
    stop();
  }
});
