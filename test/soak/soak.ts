/**
 * `npm run soak`: a bounded soak test (not part of `npm test`). A Parley child process holds
 * thousands of connections from many loopback addresses while they churn (clean closes and
 * dropped sockets) and talk; its resident memory is sampled and must stay flat after warm-up.
 * Parley starts as the `parley` command does (bin/parley.js, with its 8 MB young generation):
 * started bare, V8 grows the young generation by itself over minutes (to ~100 MB here) and later
 * gives it back, and that, not Parley, was what this check saw (bench/results/profiles.md, "Soak").
 *
 * SOAK_SECONDS (default 180), SOAK_CONNECTIONS (default 3000), SOAK_TOLERANCE (default 0.25).
 */
import { readFileSync } from "node:fs";
import WebSocket from "ws";
import { spawnParley } from "../helpers/child.ts";
import { tempDir } from "../helpers/parley.ts";

const SECONDS = Number(process.env.SOAK_SECONDS ?? 180);
const CONNECTIONS = Number(process.env.SOAK_CONNECTIONS ?? 3000);
const TOLERANCE = Number(process.env.SOAK_TOLERANCE ?? 0.25);
/** At least this; and past the first mark-compact of the loop, at most half the run (below). */
const WARMUP = Math.max(20, Math.round(SECONDS / 4));
const ROOMS = 100;
const ADDRESSES = 40; // 127.0.0.2 … 127.0.0.41: each under the default per-address cap
const CHURN_PER_SECOND = Math.max(1, Math.round(CONNECTIONS * 0.02));
const MESSAGES_PER_SECOND = 100;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const rssOf = (pid: number): number => {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
};

const parley = await spawnParley(
  [
    "--data-dir",
    tempDir("parley-soak-"),
    "--heartbeat-ms",
    "5000",
    "--max-connections",
    String(CONNECTIONS * 2),
    "--rate-limit",
    "20",
  ],
  {},
  { asParley: true },
);
const pid = parley.child.pid as number;
const v8Flags = readFileSync(`/proc/${pid}/cmdline`, "utf8")
  .split("\0")
  .filter((a) => a.startsWith("--max-semi"));

/**
 * The server's own view (/metrics): V8's heap in use (live and not yet collected), and what its
 * objects hold outside it (Buffers).
 */
const heapOf = async (): Promise<{ heapUsed: number; external: number; oldUsed: number }> => {
  const text = await (await fetch(`http://127.0.0.1:${parley.port}/metrics`)).text();
  const read = (name: string) => Number(new RegExp(`^${name} (\\S+)`, "m").exec(text)?.[1] ?? Number.NaN);
  return {
    heapUsed: read("nodejs_heap_size_used_bytes"),
    external: read("nodejs_external_memory_bytes"),
    // Falls only at a mark-compact: the old space's use, read as a sample like the others.
    oldUsed: read('nodejs_heap_space_size_used_bytes\\{space="old"\\}'),
  };
};

let opened = 0;
let failed = 0;
let unexpectedCloses = 0;
/** Close code → count, of the closes nobody asked for: a failure says which (heartbeat, too slow, …). */
const unexpectedCodes = new Map<number, number>();
let received = 0;
const live = new Set<WebSocket>();
const expectedToClose = new WeakSet<WebSocket>();

const open = (i: number): Promise<void> =>
  new Promise((resolve) => {
    const json = i % 5 === 0;
    const room = `r${i % ROOMS}`;
    const url = json ? `ws://127.0.0.1:${parley.port}/chat/${room}` : `ws://127.0.0.1:${parley.wsPort}/chat/${room}`;
    const ws = new WebSocket(url, json ? ["parley.v1"] : [], {
      localAddress: `127.0.0.${2 + (i % ADDRESSES)}`,
      perMessageDeflate: false,
    });
    ws.on("open", () => {
      opened++;
      live.add(ws);
      resolve();
    });
    ws.on("message", () => {
      received++;
    });
    ws.on("error", () => {
      failed++;
      resolve();
    });
    ws.on("close", (code) => {
      live.delete(ws);
      if (expectedToClose.has(ws) || code === 1006) return;
      unexpectedCloses++;
      unexpectedCodes.set(code, (unexpectedCodes.get(code) ?? 0) + 1);
    });
  });

const openMany = async (count: number, from: number): Promise<void> => {
  for (let start = 0; start < count; start += 100) {
    await Promise.all(Array.from({ length: Math.min(100, count - start) }, (_, k) => open(from + start + k)));
  }
};

const pick = (): WebSocket | undefined => {
  const index = Math.floor(Math.random() * live.size);
  let k = 0;
  for (const ws of live) if (k++ === index) return ws;
  return undefined;
};

console.log(
  `soak: ${CONNECTIONS} connections, ${SECONDS} s (warm-up at least ${WARMUP} s, and to the first mark-compact), pid ${pid} (${v8Flags.join(" ") || "V8's default young generation"})`,
);
const started = Date.now();
await openMany(CONNECTIONS, 0);
console.log(`soak: ${opened} open after ${((Date.now() - started) / 1000).toFixed(1)} s (${failed} failed)`);

const samples: Array<{ t: number; rss: number; heapUsed: number; live: number }> = [];
let next = CONNECTIONS;
let oldUsedBefore = (await heapOf()).oldUsed;
/** When the loop's first mark-compact was seen: until then the old space only fills (by 20-35 MiB). */
let firstMajorGc: number | undefined;
const loopStarted = Date.now();
for (let second = 1; second <= SECONDS; second++) {
  // Churn: half close cleanly, half vanish (socket destroyed: the server sees a drop).
  for (let k = 0; k < CHURN_PER_SECOND; k++) {
    const ws = pick();
    if (!ws) break;
    expectedToClose.add(ws);
    live.delete(ws);
    if (k % 2 === 0) ws.close(1000);
    else ws.terminate();
  }
  void openMany(CHURN_PER_SECOND, next);
  next += CHURN_PER_SECOND;
  for (let k = 0; k < MESSAGES_PER_SECOND; k++) {
    const ws = pick();
    if (ws?.readyState !== WebSocket.OPEN) continue;
    const text = `soak ${second}.${k} ${"x".repeat(Math.floor(Math.random() * 200))}`;
    ws.send(ws.protocol === "parley.v1" ? JSON.stringify({ type: "send", text, cid: `${second}.${k}` }) : text);
  }
  if (second % 5 === 0) {
    const rss = rssOf(pid);
    const { heapUsed, external, oldUsed } = await heapOf();
    if (firstMajorGc === undefined && oldUsed < oldUsedBefore) firstMajorGc = second;
    oldUsedBefore = oldUsed;
    samples.push({ t: second, rss, heapUsed, live: live.size });
    console.log(
      `t=${String(second).padStart(4)} s  connections=${String(live.size).padStart(5)}  server RSS=${(rss / 2 ** 20).toFixed(1)} MiB (V8 heap used ${(heapUsed / 2 ** 20).toFixed(1)}, external ${(external / 2 ** 20).toFixed(1)})  frames received=${received}`,
    );
  }
  await sleep(Math.max(0, loopStarted + second * 1000 - Date.now()));
}

// RSS saws up and down with the garbage collector; the floor after each collection is what a
// leak would raise. Compare the floor of the first half after warm-up with that of the second.
// Old space fills until the first mark-compact and its pages stay resident after (V8 reuses them): a floor
// taken while it fills is lower than any after, with no leak (+8.0% alone at load 3-5, and flat after it).
const warmedAt = Math.max(WARMUP, Math.min(firstMajorGc ?? WARMUP, Math.floor(SECONDS / 2)));
const warm = samples.filter((s) => s.t > warmedAt);
const half = Math.floor(warm.length / 2);
const floor = (xs: typeof warm, of: "rss" | "heapUsed" = "rss") => Math.min(...xs.map((s) => s[of]));
const baseline = floor(warm.slice(0, half));
const final = floor(warm.slice(half));
const growth = (final - baseline) / baseline;
const peak = Math.max(...warm.map((s) => s.rss));
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
const codes = [...unexpectedCodes].map(([code, n]) => `${n} with ${code}`).join(", ");
console.log(
  `soak: warm-up to t=${warmedAt} s (first mark-compact at ${firstMajorGc === undefined ? "none" : `t=${firstMajorGc} s`}); RSS floor ${mib(baseline)} in the first half after it, ${mib(final)} in the second (${(growth * 100).toFixed(1)}%, tolerance ${TOLERANCE * 100}%), peak ${mib(peak)}; V8 heap used floor ${mib(floor(warm.slice(0, half), "heapUsed"))} then ${mib(floor(warm.slice(half), "heapUsed"))}; ${opened} connections opened in all, ${failed} refused or failed, ${unexpectedCloses} unexpected closes${codes ? ` (${codes})` : ""}`,
);

for (const ws of live) ws.terminate();
parley.child.kill("SIGTERM");
const code = await parley.exited;

const problems: string[] = [];
if (warm.length < 6) problems.push("too few samples after warm-up: run longer");
if (growth > TOLERANCE) problems.push(`memory grew ${(growth * 100).toFixed(1)}% after warm-up`);
if (failed > opened * 0.01) problems.push(`${failed} connections failed`);
if (unexpectedCloses > 0) problems.push(`${unexpectedCloses} connections were closed by the server`);
if (code !== 0) problems.push(`Parley exited with ${code} on SIGTERM`);
if (problems.length > 0) {
  console.error(`soak: FAILED: ${problems.join("; ")}`);
  process.exit(1);
}
console.log("soak: passed, memory flat");
process.exit(0);
