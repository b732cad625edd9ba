/**
 * Server CPU per message in the many-rooms shape at a fixed rate (issue #22 point 1): each round
 * starts every variant fresh (pinned to core 0, as the bench does), opens the crowd's clients
 * (1,000 rooms of 10, one sender per room), runs a fixed step, and prints the server's CPU per
 * message sent (all threads, and the main thread alone, from /proc) and per delivery. Rounds
 * alternate the variants, so a loaded machine hits each alike; compare medians.
 * A variant is `server` or `server@DIR`: Parley started from another checkout (DIR holds its
 * src/, e.g. a `git archive` of the base commit with node_modules linked), for before/after.
 * MODE=json: JSON v1 clients that wait for acks. MEASURE_MS: the window (default 5,000). THREADS=1: each
 * thread's CPU per message too, by thread name (main, sqlite-writer, sqlite-ckpt, V8Worker: V8's GC helpers).
 * Usage: taskset -c 1 node --expose-gc --import tsx bench/tools/rooms-cpu.ts RATE [ROUNDS] [variant...]
 * (--expose-gc: the generator collects before each step, so the previous round's 10,000 clients do not
 * pause it inside the next window; without it, p99s after the first round are the generator's as much as the server's).
 */
import { readdirSync, readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { connectMany } from "../lib/connect-many.ts";
import { type RawClient, Recorder } from "../lib/raw-ws.ts";
import { ROOT, SERVERS, type ServerName, type ServerSpec, sleep, startServer } from "../lib/servers.ts";
import { runStep } from "../lib/traffic.ts";
import { CROWD_CONNECTIONS, ROOM_SIZE } from "../workloads/crowd.ts";
import { clientIn } from "../workloads/fanout.ts";

const rate = Number(process.argv[2] ?? 3000);
const rounds = Number(process.argv[3] ?? 3);
const variants = process.argv.length > 4 ? process.argv.slice(4) : ["parley-memory"];
const mode = process.env.MODE === "json" ? "json" : "text";
const measureMs = Number(process.env.MEASURE_MS ?? 5000);

/** A thread's name (`comm`) and CPU seconds (user + system) from its /proc stat line. */
const threadStat = (pid: number, tid: number | string): { name: string; s: number } => {
  const raw = readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8");
  // The name is in parentheses and may itself hold ") ": the fields follow the last one.
  const fields = raw.slice(raw.lastIndexOf(") ") + 2).split(" ");
  return {
    name: raw.slice(raw.indexOf("(") + 1, raw.lastIndexOf(")")),
    s: (Number(fields[11]) + Number(fields[12])) / 100,
  };
};

/** The main thread's CPU seconds. */
const mainThread = (pid: number): number => threadStat(pid, pid).s;

/** Every thread's CPU seconds by thread id, with its name (`comm`). */
const threads = (pid: number): Map<string, { name: string; s: number }> => {
  const out = new Map<string, { name: string; s: number }>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      out.set(tid, threadStat(pid, tid));
    } catch {
      // the thread ended
    }
  }
  return out;
};

/** µs per message sent of each thread name over the window (THREADS=1). */
const threadSplit = (pid: number, before: Map<string, { name: string; s: number }>, messages: number): string => {
  const byName = new Map<string, number>();
  for (const [tid, { name, s }] of threads(pid)) {
    const label = tid === String(pid) ? "main" : name;
    byName.set(label, (byName.get(label) ?? 0) + s - (before.get(tid)?.s ?? 0));
  }
  return [...byName]
    .filter(([, s]) => s > 0)
    .sort((a, b) => b[1] - a[1])
    .map(([name, s]) => `${name} ${((s / messages) * 1e6).toFixed(1)}`)
    .join(", ");
};

const specOf = (variant: string): ServerSpec => {
  const [name, dir] = variant.split("@") as [ServerName, string | undefined];
  const plain = SERVERS[name];
  if (!plain) throw new Error(`unknown server ${name}`);
  if (!dir) return plain;
  return {
    ...plain,
    command: (...args: Parameters<ServerSpec["command"]>) =>
      plain.command(...args).map((part) => (part.startsWith(`${ROOT}/src/`) ? part.replace(ROOT, dir) : part)),
  };
};

const results = new Map<string, number[]>();
for (let round = 0; round < rounds; round++) {
  for (const variant of variants) {
    const spec = specOf(variant);
    const server = await startServer(spec, "rooms-cpu", mode);
    const recorder = new Recorder();
    let clients: RawClient[] = [];
    try {
      const opened = await connectMany(CROWD_CONNECTIONS, 100, (i) => ({
        port: server.port,
        ...clientIn(spec, mode, `r${Math.floor(i / ROOM_SIZE)}`),
        recorder,
        sampleLatency: i % ROOM_SIZE === 1,
      }));
      clients = opened.clients;
      await sleep(2000);
      const senders = clients.filter((c, i) => i % ROOM_SIZE === 0 && c.open);
      const load = loadavg()[0]?.toFixed(1);
      const main0 = mainThread(server.pid);
      const threads0 = process.env.THREADS ? threads(server.pid) : undefined;
      const step = await runStep({
        senders,
        recorder,
        server,
        fanout: ROOM_SIZE,
        sendRate: rate,
        warmMs: 1000,
        measureMs,
        acks: mode === "json",
      });
      // The main thread over the same window as the step's own figure, roughly (warm-up excluded by scale).
      const mainS = mainThread(server.pid) - main0;
      const split = threads0
        ? ` [threads, µs per message: ${threadSplit(server.pid, threads0, rate * ((measureMs + 1000) / 1000))}]`
        : "";
      const perDelivery = step.serverCpuUsPerDelivery ?? Number.NaN;
      const perMessage = perDelivery * ROOM_SIZE;
      const mainPerMessage = (mainS / ((measureMs + 1000) / 1000) / rate) * 1e6;
      results.set(variant, [...(results.get(variant) ?? []), perMessage]);
      process.stdout.write(
        `${variant} ${mode} round ${round + 1} (load ${load}): ${perMessage.toFixed(1)} µs server CPU per message ` +
          `(${perDelivery.toFixed(2)} per delivery; main thread ~${mainPerMessage.toFixed(1)} per message sent), ` +
          `delivered ${step.delivered}/${step.offered}, p99 ${step.p99Ms} ms` +
          `${mode === "json" ? `, acked ${step.acked}/s, errors ${step.errors}` : ""}${split}\n`,
      );
    } finally {
      for (const c of clients) c?.destroy();
      await server.stop();
    }
  }
}
const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
for (const [variant, values] of results) {
  process.stdout.write(
    `${variant}: median ${median(values).toFixed(1)} µs per message (${values.map((v) => v.toFixed(1)).join(" / ")})\n`,
  );
}
process.exit(0);
