/**
 * The durable append path with `synchronous=full`: messages arrive at a steady rate, one per
 * event-loop turn, and the loop's delay is watched. Whatever the store does on the main
 * thread (a commit's fsync) shows up as event-loop delay, i.e. as latency for every client.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { SqliteStore } from "../../src/store/sqlite.ts";
import { SqliteSearch } from "../../src/store/sqlite-search.ts";
import { ROOT } from "../lib/servers.ts";

export const run = async (): Promise<void> => {
  const dir = mkdtempSync(join(ROOT, "bench/results/raw/store-"));
  const store = new SqliteStore({
    file: join(dir, "bench.db"),
    retention: { maxMessagesPerRoom: 100_000, maxAgeMs: 0 },
    synchronous: "full",
  });
  await store.append({ room: "bench", nick: "n", text: "warm-up", ts: Date.now() }); // opens everything
  const rate = 200;
  const seconds = 2;
  const delay = monitorEventLoopDelay({ resolution: 1 });
  const acks: number[] = [];
  const pending: Promise<void>[] = [];
  delay.enable();
  const started = performance.now();
  for (let i = 0; i < rate * seconds; i++) {
    const due = started + (i * 1000) / rate;
    const wait = due - performance.now();
    await new Promise((done) => (wait > 0 ? setTimeout(done, wait) : setImmediate(done)));
    const sent = performance.now();
    pending.push(
      store.append({ room: "bench", nick: "n", text: "x".repeat(64), ts: Date.now() }).then(() => {
        acks.push(performance.now() - sent);
      }),
    );
  }
  await Promise.all(pending);
  delay.disable();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  acks.sort((a, b) => a - b);
  const ms = (ns: number) => (ns / 1e6).toFixed(2);
  const at = (p: number) => (acks[Math.min(acks.length - 1, Math.floor((p / 100) * acks.length))] ?? 0).toFixed(2);
  process.stdout.write(
    `store: ${rate} appends/s, sync=full: ack p50 ${at(50)} ms, p99 ${at(99)} ms; ` +
      `event-loop delay p50 ${ms(delay.percentile(50))} ms, p99 ${ms(delay.percentile(99))} ms, max ${ms(delay.max)} ms\n`,
  );
};

/**
 * Appends at `rate`/s spread over 1,000 rooms (the many-rooms workload's shape), after a
 * warm-up: CPU of the whole process (main and writer threads) per append, and ack latency.
 * Past the rate one commit per turn can keep up with, batches must grow, or acks queue.
 */
export const runRate = async (rate: number, seconds = 3): Promise<void> => {
  const dir = mkdtempSync(join(ROOT, "bench/results/raw/store-"));
  const store = new SqliteStore({
    file: join(dir, "bench.db"),
    retention: { maxMessagesPerRoom: 100_000, maxAgeMs: 0 },
    synchronous: "full",
  });
  const say = (i: number) => store.append({ room: `r${i % 1000}`, nick: "n", text: "x".repeat(64), ts: Date.now() });
  for (let round = 0; round < 3; round++) await Promise.all(Array.from({ length: 1000 }, (_, i) => say(i)));
  const total = rate * seconds;
  const acks: number[] = [];
  const cpu = process.cpuUsage();
  const started = performance.now();
  await new Promise<void>((done) => {
    let sent = 0;
    const tick = () => {
      const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * rate));
      for (; sent < due; sent++) {
        const at = performance.now();
        void say(sent).then(() => {
          acks.push(performance.now() - at);
          if (acks.length === total) done();
        });
      }
      if (sent < total) setTimeout(tick, 1);
    };
    tick();
  });
  const used = process.cpuUsage(cpu);
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  acks.sort((a, b) => a - b);
  const at = (p: number) => (acks[Math.min(acks.length - 1, Math.floor((p / 100) * acks.length))] ?? 0).toFixed(2);
  process.stdout.write(
    `store: ${rate} appends/s over 1,000 rooms, sync=full: ${((used.user + used.system) / total).toFixed(1)} µs CPU/append, ` +
      `ack p50 ${at(50)} ms, p99 ${at(99)} ms\n`,
  );
};

/**
 * CPU per durable append (main and writer threads and the kernel: `process.cpuUsage` counts the
 * whole process) with `size` appends per event-loop turn over 1,000 rooms, each turn awaited, with
 * the search index open as a server has it. A fixed batch size keeps the figure comparable on a
 * loaded machine, where an open-loop rate gives batches of whatever size the scheduling made.
 */
export const runBatch = async (size: number, appends = 12_000): Promise<void> => {
  const dir = mkdtempSync(join(ROOT, "bench/results/raw/store-"));
  const file = join(dir, "bench.db");
  const store = new SqliteStore({ file, retention: { maxMessagesPerRoom: 100_000, maxAgeMs: 0 }, synchronous: "full" });
  const search = new SqliteSearch(file, undefined, undefined, () => store.searchCaughtUp());
  let n = 0;
  const say = () => {
    n++;
    return store.append({
      room: `r${(n * 7919) % 1000}`,
      nick: "n",
      text: `hello ${n % 997} ${"x".repeat(48)}`,
      ts: n,
    });
  };
  for (let i = 0; i < 3000; i += 100) await Promise.all(Array.from({ length: 100 }, say)); // every room exists
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (let i = 0; i < appends; i += size) await Promise.all(Array.from({ length: size }, say));
  const used = process.cpuUsage(cpu);
  const wall = performance.now() - started;
  await search.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  process.stdout.write(
    `store: batches of ${size} over 1,000 rooms, sync=full, search on: ${((used.user + used.system) / appends).toFixed(1)} µs CPU/append ` +
      `(user ${(used.user / appends).toFixed(1)}, system ${(used.system / appends).toFixed(1)}), ${(wall / (appends / size)).toFixed(2)} ms/batch\n`,
  );
};
