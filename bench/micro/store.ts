/**
 * The durable append path with `synchronous=full`: messages arrive at a steady rate, one per
 * event-loop turn, and the loop's delay is watched. Whatever the store does on the main
 * thread (a commit's fsync) shows up as event-loop delay, i.e. as latency for every client.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { SqliteStore } from "../../src/store/sqlite.ts";
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
