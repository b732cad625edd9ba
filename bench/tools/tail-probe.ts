/**
 * Where a server's tail latency goes: one fixed-rate step (either shape) against a fresh server
 * started with `gc-probe.mjs` preloaded, which logs its GC pauses and event-loop delay each
 * second; prints the step's p99 next to what the server saw in the same window.
 * Usage (pinned and with 10,000 descriptors, as `npm run bench` runs):
 *   ulimit -n 20000; taskset -c 1 node --expose-gc --import tsx bench/tools/tail-probe.ts parley-memory rooms 2000 [seconds]
 * (`--expose-gc`: the generator collects its own garbage before the step, as `npm run bench` does.)
 *   ... bench/tools/tail-probe.ts parley-memory fanout 6300 [seconds]
 */
import { readFileSync, rmSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { connectMany } from "../lib/connect-many.ts";
import { type RawClient, Recorder } from "../lib/raw-ws.ts";
import { SERVERS, type ServerName, sleep, startServer } from "../lib/servers.ts";
import { runStep } from "../lib/traffic.ts";
import { CROWD_CONNECTIONS, ROOM_SIZE } from "../workloads/crowd.ts";
import { FANOUT_CLIENTS, FANOUT_SENDERS, stepLine } from "../workloads/fanout.ts";

const [name = "parley-memory", shape = "rooms", rateArg = "2000", secondsArg = "10"] = process.argv.slice(2);
const spec = SERVERS[name as ServerName];
if (!spec) throw new Error(`unknown server ${name}`);
const out = join("/tmp", `tail-probe-${process.pid}.jsonl`);
const rooms = shape === "rooms";
const total = rooms ? CROWD_CONNECTIONS : FANOUT_CLIENTS;

// Only the server gets the probe: the environment is read when it is spawned.
const saved = process.env.NODE_OPTIONS;
// `SERVER_NODE_OPTIONS`: more for the server alone (e.g. \`--max-semi-space-size=8\`).
process.env.NODE_OPTIONS =
  `${saved ?? ""} ${process.env.SERVER_NODE_OPTIONS ?? ""} --import ${join(import.meta.dirname, "gc-probe.mjs")}`.trim();
process.env.PROBE_OUT = out;
const server = await startServer(spec, "probe");
if (saved === undefined) delete process.env.NODE_OPTIONS;
else process.env.NODE_OPTIONS = saved;
delete process.env.PROBE_OUT;

const recorder = new Recorder();
let clients: RawClient[] = [];
try {
  const opened = await connectMany(total, rooms ? 100 : 50, (i) => ({
    port: server.port,
    path: spec.path(rooms ? `r${Math.floor(i / ROOM_SIZE)}` : "fan"),
    dialect: spec.dialect,
    recorder,
    sampleLatency: rooms ? i % ROOM_SIZE === 1 : i % 10 === 5,
  }));
  clients = opened.clients;
  if (opened.failed > 0) throw new Error(`${opened.failed} clients could not connect`);
  await sleep(2000);
  const senders = rooms
    ? clients.filter((_, i) => i % ROOM_SIZE === 0)
    : Array.from({ length: FANOUT_SENDERS }, (_, k) => clients[k * 250] as RawClient);
  const from = Date.now() + 1000; // the probe's lines after warm-up
  const step = await runStep({
    senders,
    recorder,
    server,
    fanout: rooms ? ROOM_SIZE : FANOUT_CLIENTS,
    sendRate: Number(rateArg),
    warmMs: 1000,
    measureMs: Number(secondsArg) * 1000,
  });
  const to = Date.now();
  await sleep(1100);
  const lines = readFileSync(out, "utf8")
    .trim()
    .split("\n")
    .map(
      (l) =>
        JSON.parse(l) as {
          t: number;
          eldP99: number;
          eldMax: number;
          heapUsed: number;
          rss: number;
          gcs: [string, number][];
        },
    )
    .filter((l) => l.t > from + 1000 && l.t <= to);
  const gcs = lines.flatMap((l) => l.gcs);
  const byKind = new Map<string, number[]>();
  for (const [kind, ms] of gcs) byKind.set(kind, [...(byKind.get(kind) ?? []), ms]);
  const seconds = lines.length;
  console.log(`${name} ${shape} ${rateArg}/s, load ${loadavg().map((l) => l.toFixed(2))}: ${stepLine(step)}`);
  for (const [kind, list] of byKind) {
    const sorted = [...list].sort((a, b) => a - b);
    const sum = list.reduce((a, b) => a + b, 0);
    console.log(
      `  gc ${kind}: ${list.length} in ${seconds} s, total ${sum.toFixed(1)} ms, median ${sorted[Math.floor(sorted.length / 2)]} ms, max ${sorted.at(-1)} ms; over 5 ms: ${list.filter((x) => x > 5).length}`,
    );
  }
  console.log(
    `  event-loop delay per second: p99 ${lines.map((l) => l.eldP99.toFixed(1)).join(" ")}\n` +
      `                               max ${lines.map((l) => l.eldMax.toFixed(1)).join(" ")}\n` +
      `  heap used ${lines.map((l) => l.heapUsed).join(" ")} MB, rss ${lines.at(-1)?.rss} MB`,
  );
} finally {
  await server.stop();
  for (const c of clients) c?.destroy();
  rmSync(out, { force: true });
}
