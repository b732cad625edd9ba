import assert from "node:assert/strict";
import { test } from "node:test";
import { markdown, markGeneratorBound, type Workload } from "../../bench/lib/report.ts";
import { judge, targets } from "../../bench/lib/targets.ts";

const fanout = (values: Record<string, [number, boolean]>): Workload => ({
  workload: "fanout",
  metric: "highest delivered msgs/s",
  unit: "msgs/s",
  better: "higher",
  entries: Object.entries(values).map(([server, [value, floor]]) => ({
    server,
    label: server,
    value,
    floor,
    ratio: {},
    raw: null,
  })),
});

test("a ratio against a floor decides a target only when the bound does", () => {
  assert.deepEqual(judge(1.4, 3, true, false, false), { bound: "exact", met: false });
  // Parley only a floor: at least 1.4, which cannot say whether it is 3 or more.
  assert.deepEqual(judge(1.4, 3, true, true, false), { bound: "lower", met: null });
  assert.deepEqual(judge(3.2, 3, true, true, false), { bound: "lower", met: true });
  // The peer only a floor: at most 0.46, below 1 whatever the peer could have done.
  assert.deepEqual(judge(0.46, 1, true, false, true), { bound: "upper", met: false });
  assert.deepEqual(judge(1.2, 1, true, false, true), { bound: "upper", met: null });
  assert.deepEqual(judge(1, 1, true, true, true), { bound: "exact", met: null });
});

test("a server within reach of the sink's figure is at the generator's ceiling: a floor, and the report says so", () => {
  // The sink passed 12M, Parley failed at 11.5M (where the generator fails), Bun at 8M.
  const ws = markGeneratorBound([
    fanout({ sink: [12_000_000, false], "parley-sqlite": [11_500_000, false], bun: [8_000_000, false] }),
  ]);
  const floors = Object.fromEntries((ws[0] as Workload).entries.map((e) => [e.server, e.floor]));
  assert.deepEqual(floors, { sink: false, "parley-sqlite": true, bun: false });
  const point6 = targets(ws).find((t) => t.what.startsWith("parley-sqlite: fan-out throughput ÷ Bun"));
  assert.deepEqual(point6 && { measured: point6.measured, bound: point6.bound, met: point6.met }, {
    measured: 1.44,
    bound: "lower",
    met: null,
  });
  const table = markdown(ws, targets(ws));
  assert.match(
    table,
    /\| parley-sqlite: fan-out throughput ÷ Bun pub\/sub \(#22 point 6\) \| ≥ 3 \| ≥ 1\.44 \| not shown \|/,
  );
  assert.match(table, /\| ≥ 11,500,000 \|/);
});
