/**
 * `npm run soak`: a bounded soak test (not part of `npm test`). A Parley child process holds
 * thousands of connections from many loopback addresses while they churn (clean closes and
 * dropped sockets) and talk; its resident memory is sampled and must stay flat after warm-up.
 * Parley starts as the `parley` command does (bin/parley.js, with its 8 MB young generation):
 * started bare, V8 grows the young generation by itself over minutes (to ~100 MB here) and later
 * gives it back, and that, not Parley, was what this check saw (bench/results/profiles.md, "Soak").
 *
 * Every close the soak did not ask for is counted by code and reason, and told apart: a heartbeat timeout (4001)
 * or "too slow" (4000) while the soak's own event loop was stalled long enough to explain it (this process starved
 * on a loaded machine: it could not answer pings nor read) is the soak's client, not the server; the rest fail the
 * run. The server's own account (its log's closes "by":"server") is printed beside it.
 *
 * SOAK_SECONDS (default 180), SOAK_CONNECTIONS (default 3000), SOAK_TOLERANCE (default 0.25). To check that
 * telling apart: SOAK_STALL=client@30 (the soak blocks its own loop at t=30 s) or server@30 (SIGSTOP to the server),
 * for SOAK_STALL_MS (default 7000).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
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
const HEARTBEAT_MS = 5000;
/** The server closes as too slow a client over its queue cap that took nothing for this long (socket-link.ts). */
const SLOW_STALL_MS = 500;
const [stallWho, stallAt] = (process.env.SOAK_STALL ?? "").split("@");
const STALL_MS = Number(process.env.SOAK_STALL_MS ?? 7000);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const rssOf = (pid: number): number => {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
};

const dataDir = tempDir("parley-soak-");
const parley = await spawnParley(
  [
    "--data-dir",
    dataDir,
    "--heartbeat-ms",
    String(HEARTBEAT_MS),
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
const heapOf = async (): Promise<{ heapUsed: number; external: number; oldUsed: number; lagMax: number }> => {
  const text = await (await fetch(`http://127.0.0.1:${parley.port}/metrics`)).text();
  const read = (name: string) => Number(new RegExp(`^${name} (\\S+)`, "m").exec(text)?.[1] ?? Number.NaN);
  return {
    heapUsed: read("nodejs_heap_size_used_bytes"),
    external: read("nodejs_external_memory_bytes"),
    // Falls only at a mark-compact: the old space's use, read as a sample like the others.
    oldUsed: read('nodejs_heap_space_size_used_bytes\\{space="old"\\}'),
    // prom-client's: the most its event loop was late since the last scrape.
    lagMax: read("nodejs_eventloop_lag_max_seconds"),
  };
};

/** This process's event loop, late by `ms` until `end` (performance clock): a starved client answers and reads nothing. */
const clientStalls: Array<{ end: number; ms: number }> = [];
const TICK_MS = 100;
let lastTick = performance.now();
const ticker = setInterval(() => {
  const now = performance.now();
  const late = now - lastTick - TICK_MS;
  if (late >= SLOW_STALL_MS / 2) clientStalls.push({ end: now, ms: late });
  lastTick = now;
}, TICK_MS);
/**
 * Whether this process stalled for at least `ms` shortly before `at`. The closes a stall caused are often handled
 * before the ticker runs again (I/O first), so the stall still going on counts too.
 */
const clientStalled = (at: number, ms: number): boolean =>
  at - lastTick - TICK_MS >= ms ||
  clientStalls.some((s) => s.ms >= ms && s.end <= at + 1000 && s.end >= at - 2 * HEARTBEAT_MS);
/** Closes explained by the soak's own stalls, by code (not the server's doing). */
const clientCaused = new Map<number, number>();
let serverLagMax = 0;

let opened = 0;
let failed = 0;
let unexpectedCloses = 0;
/** Close code → count, of the closes nobody asked for: a failure says which (heartbeat, too slow, …). */
const unexpectedCodes = new Map<number, number>();
/** Close code → the reasons the server gave with it. */
const reasonsOf = new Map<number, Set<string>>();
let received = 0;
const live = new Set<WebSocket>();
const expectedToClose = new WeakSet<WebSocket>();
/** Set when the soak ends the run: closes after it are its own. */
let ending = false;

const open = (i: number): Promise<void> =>
  new Promise((resolve) => {
    const json = i % 5 === 0;
    const room = `r${i % ROOMS}`;
    const url = json ? `ws://127.0.0.1:${parley.port}/chat/${room}` : `ws://127.0.0.1:${parley.wsPort}/chat/${room}`;
    const ws = new WebSocket(url, json ? ["parley.v1"] : [], {
      localAddress: `127.0.0.${2 + (i % ADDRESSES)}`,
      perMessageDeflate: false,
    });
    let wasOpen = false;
    ws.on("open", () => {
      wasOpen = true;
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
    ws.on("close", (code, reason) => {
      live.delete(ws);
      if (!wasOpen || expectedToClose.has(ws) || ending) return;
      // Explained by this process's stall: it missed the pong's whole interval, or stopped reading past the cap.
      const explainedBy = code === 4001 ? HEARTBEAT_MS * 0.9 : code === 4000 ? SLOW_STALL_MS : undefined;
      if (explainedBy !== undefined && clientStalled(performance.now(), explainedBy)) {
        clientCaused.set(code, (clientCaused.get(code) ?? 0) + 1);
        return;
      }
      // 1006 too: the server dropped the socket without a close frame.
      unexpectedCloses++;
      reasonsOf.set(code, (reasonsOf.get(code) ?? new Set()).add(reason.toString()));
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
  if (String(second) === stallAt) {
    console.log(`soak: stalling the ${stallWho} for ${STALL_MS} ms (SOAK_STALL)`);
    if (stallWho === "server") {
      process.kill(pid, "SIGSTOP");
      setTimeout(() => process.kill(pid, "SIGCONT"), STALL_MS);
    } else for (const until = Date.now() + STALL_MS; Date.now() < until; );
  }
  if (second % 5 === 0) {
    const rss = rssOf(pid);
    const { heapUsed, external, oldUsed, lagMax } = await heapOf();
    serverLagMax = Math.max(serverLagMax, lagMax);
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
const codes = [...unexpectedCodes]
  .map(([code, n]) => `${n} with ${code} "${[...(reasonsOf.get(code) ?? [])].join('", "')}"`)
  .join(", ");
console.log(
  `soak: warm-up to t=${warmedAt} s (first mark-compact at ${firstMajorGc === undefined ? "none" : `t=${firstMajorGc} s`}); RSS floor ${mib(baseline)} in the first half after it, ${mib(final)} in the second (${(growth * 100).toFixed(1)}%, tolerance ${TOLERANCE * 100}%), peak ${mib(peak)}; V8 heap used floor ${mib(floor(warm.slice(0, half), "heapUsed"))} then ${mib(floor(warm.slice(half), "heapUsed"))}; ${opened} connections opened in all, ${failed} refused or failed, ${unexpectedCloses} unexpected closes${codes ? ` (${codes})` : ""}`,
);

/** The server's account of the closes it made ("by":"server" in its log), before the shutdown's. */
const serverCloses = new Map<string, number>();
for (const line of parley.output().split("\n")) {
  if (!line.includes('"event":"close"') || !line.includes('"by":"server"')) continue;
  const { code: closeCode, reason } = JSON.parse(line) as { code: number; reason: string };
  serverCloses.set(`${closeCode} ${reason}`, (serverCloses.get(`${closeCode} ${reason}`) ?? 0) + 1);
}
const worstStall = Math.max(0, ...clientStalls.map((s) => s.ms));
const ownCloses = [...clientCaused].map(([c, n]) => `${n} with ${c}`).join(", ");
console.log(
  `soak: the server's log: ${[...serverCloses].map(([what, n]) => `${n} closed ${what}`).join(", ") || "no close by the server"}; its event loop late by at most ${(serverLagMax * 1000).toFixed(0)} ms (5 s samples). This soak's own loop: ${clientStalls.length} stalls of ${SLOW_STALL_MS / 2} ms or more, the longest ${worstStall.toFixed(0)} ms; closes they explain (the soak's client, not the server): ${ownCloses || "none"}`,
);

ending = true;
clearInterval(ticker);
for (const ws of live) ws.terminate();
parley.child.kill("SIGTERM");
const code = await parley.exited;
writeFileSync(join(dataDir, "parley.log"), parley.output());
console.log(`soak: the server's log is in ${join(dataDir, "parley.log")}`);

const problems: string[] = [];
if (warm.length < 6) problems.push("too few samples after warm-up: run longer");
if (growth > TOLERANCE) problems.push(`memory grew ${(growth * 100).toFixed(1)}% after warm-up`);
if (failed > opened * 0.01) problems.push(`${failed} connections failed`);
if (unexpectedCloses > 0) problems.push(`${unexpectedCloses} connections were closed by the server (${codes})`);
if (code !== 0) problems.push(`Parley exited with ${code} on SIGTERM`);
if (problems.length > 0) {
  console.error(`soak: FAILED: ${problems.join("; ")}`);
  process.exit(1);
}
console.log("soak: passed, memory flat");
process.exit(0);
