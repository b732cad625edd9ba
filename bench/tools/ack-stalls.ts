/**
 * Where a durable append's tail goes, without sockets: appends at a fixed rate over 1,000 rooms
 * into a real SQLite store (sync=full, as a server has it: search on unless `nosearch`), each
 * append's time to its settle kept, and the event loop's delay watched. Counts (acks over 10, 20,
 * 50 ms) move less with the machine's load than a p99 does. Run it pinned as the bench pins a
 * server, every thread of it on one core:
 *   taskset -c 0 node --import tsx bench/tools/ack-stalls.ts 2700 10 [nosearch]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { SqliteStore } from "../../src/store/sqlite.ts";
import { SqliteSearch } from "../../src/store/sqlite-search.ts";
import { ROOT } from "../lib/servers.ts";

const [rateArg = "2700", secondsArg = "10", mode = "search"] = process.argv.slice(2);
const rate = Number(rateArg);
const seconds = Number(secondsArg);
const dir = mkdtempSync(join(ROOT, "bench/results/raw/store-"));
const file = join(dir, "bench.db");
const store = new SqliteStore({ file, retention: { maxMessagesPerRoom: 100_000, maxAgeMs: 0 }, synchronous: "full" });
const search = mode === "nosearch" ? null : new SqliteSearch(file, undefined, undefined, () => store.searchCaughtUp());
let n = 0;
const say = () => {
  n++;
  return store.append({ room: `r${(n * 7919) % 1000}`, nick: "n", text: `hello ${n % 997} ${"x".repeat(48)}`, ts: n });
};
for (let i = 0; i < 3000; i += 100) await Promise.all(Array.from({ length: 100 }, say)); // every room exists
const warm = rate; // the first second is not counted
const total = rate * (seconds + 1);
const acks = new Float64Array(total);
const delay = monitorEventLoopDelay({ resolution: 1 });
const cpu = process.cpuUsage();
const started = performance.now();
await new Promise<void>((done) => {
  let sent = 0;
  let settled = 0;
  const tick = () => {
    const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * rate));
    if (sent < warm && due >= warm) delay.enable();
    for (; sent < due; sent++) {
      const i = sent;
      const at = performance.now();
      void say().then(() => {
        acks[i] = performance.now() - at;
        if (++settled === total) done();
      });
    }
    if (sent < total) setTimeout(tick, 1);
  };
  tick();
});
const used = process.cpuUsage(cpu);
delay.disable();
await search?.close();
await store.close();
rmSync(dir, { recursive: true, force: true });
const kept = [...acks.subarray(warm)].sort((a, b) => a - b);
const at = (p: number) => (kept[Math.min(kept.length - 1, Math.floor((p / 100) * kept.length))] ?? 0).toFixed(1);
const over = (ms: number) => kept.filter((x) => x > ms).length;
process.stdout.write(
  `${rate}/s ${seconds} s ${mode}, load ${loadavg()[0]?.toFixed(1)}: ack p50 ${at(50)} p99 ${at(99)} p99.9 ${at(99.9)} max ${at(100)} ms; ` +
    `over 10/20/50 ms: ${over(10)}/${over(20)}/${over(50)} of ${kept.length}; ` +
    `loop delay p99 ${(delay.percentile(99) / 1e6).toFixed(1)} max ${(delay.max / 1e6).toFixed(1)} ms; ` +
    `${((used.user + used.system) / total).toFixed(1)} µs CPU/append\n`,
);
