import assert from "node:assert/strict";
import { test } from "node:test";
import { floorNote } from "../../bench/lib/floor.ts";
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

const halfEntry = (value: number, sendRate: number, basis: "saturation" | "floor") => ({
  server: "parley-sqlite",
  label: "Parley",
  value,
  floor: false,
  ratio: {},
  raw: null,
  half: { sendRate, basis, generatorCpu: 0.4, generatorLagP99Ms: 2.5, of: { sendRate: sendRate * 2, serverCpu: 0.5 } },
});

test("p99 at half saturation is judged in both shapes, and a half of a floor says so", () => {
  const ws = markGeneratorBound([
    // Fan-out: Parley within reach of the sink (the generator's ceiling), so its ramp figure is a floor.
    fanout({ sink: [12_000_000, false], "parley-sqlite": [11_500_000, false] }),
    {
      ...fanout({}),
      workload: "fanout-half-saturation",
      unit: "ms",
      better: "lower",
      entries: [halfEntry(12, 5750, "saturation")],
    },
    {
      ...fanout({ sink: [100_000, false], "parley-sqlite": [54_000, false] }),
      workload: "many-rooms",
    },
    {
      ...fanout({}),
      workload: "many-rooms-half-saturation",
      unit: "ms",
      better: "lower",
      entries: [halfEntry(26.9, 2700, "saturation")],
    },
  ]);
  const ts = targets(ws);
  const fan = ts.find((t) => t.what.startsWith("parley-sqlite: fan-out p99 at half"));
  const rooms = ts.find((t) => t.what.startsWith("parley-sqlite: many rooms p99 at half"));
  // 12 ms at half of the generator's ceiling: Parley's own half is a higher rate, so not shown.
  assert.deepEqual(fan && [fan.what.includes("a floor"), fan.met], [true, null]);
  assert.deepEqual(rooms && [rooms.what.includes("its saturation"), rooms.met], [true, false]);
  const table = markdown(ws, ts);
  assert.match(table, /fanout-half-saturation, Parley: 5,750 sends\/s, half of a floor/);
  // The floor's note estimates the saturation the generator could not reach, from the server's CPU.
  assert.match(
    table,
    /at 11,500 sends\/s the server used 0\.5 of its core, so by CPU its saturation is near 23,000 sends\/s\./,
  );
  assert.match(table, /many-rooms-half-saturation, Parley: 2,700 sends\/s, half of its saturation/);
  assert.match(table, /the generator used 0\.4 of its core, its event loop's delay p99 2\.5 ms/);
  assert.match(table, /many rooms p99 at half of its saturation \(ms, #22 point 5\) \| ≤ 20 \| 26\.9 \| MISSED \|/);
});

test("the Node floor's paragraph gives the floor ÷ Bun and Parley ÷ the floor, bounded where Bun is only a floor", () => {
  const rooms = {
    ...fanout({ "parley-sqlite": [60_000, false], "node-floor": [120_000, false], bun: [140_000, true] }),
  };
  rooms.workload = "many-rooms";
  const idle: Workload = {
    ...fanout({ "parley-sqlite": [4.4, false], "node-floor": [4, false], bun: [3, false] }),
    workload: "idle-memory",
    unit: "kB",
    better: "lower",
  };
  const note = floorNote([rooms, idle]);
  // Bun at the generator's ceiling: the floor is at most 0.86 of what Bun could do.
  assert.match(note, /many rooms: floor ÷ Bun ≤ 0\.86×; Parley ÷ floor: parley-sqlite 0\.50×/);
  assert.match(note, /idle memory per connection: floor ÷ Bun 1\.33×; Parley ÷ floor: parley-sqlite 1\.10×/);
  assert.doesNotMatch(note, /connects/);
  // Without the floor in the run, no paragraph.
  assert.equal(floorNote([fanout({ bun: [1, false] })]), "");
});
