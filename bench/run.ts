/**
 * `npm run bench`: every workload against Parley and its peers, on loopback, in one run.
 * Re-executes itself under `ulimit -n` (10,000 sockets on each side) pinned to core 1; each
 * server is started fresh per workload pinned to core 0.
 *
 * Options: --servers a,b  --workloads fanout,crowd,fanout-json,rooms-json,fanout-mix,resume  --out DIR
 *          (`idle` in place of `crowd`: only its connect-rate and idle-memory parts, ~30 s a server;
 *          `half`: only the fan-out step at half saturation, at --half-rate sends/s, default 5,500;
 *          `rooms-half`: only the many-rooms step, on a fresh server, at --rooms-half-rate sends/s, default 2,700;
 *          with `fanout` and `crowd` Parley gets both half steps at half of its own ramp's highest passing
 *          rate, the report saying when that rate is a floor (ramp top, generator ceiling);
 *          `fanout-json`, `rooms-json`: the two shapes with JSON v1 clients that wait for acks;
 *          `fanout-mix`: Parley's JSON fan-out with reactions and edits mixed in, issue #18 point 10)
 *          --cpu-prof  (Parley runs with V8's profiler; top functions go to DIR/profiles.md)
 *          --rechart   (no run: redraws DIR/chart.svg and DIR/latest.md from DIR/latest.json)
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { svgChart } from "./lib/chart.ts";
import { floorNote } from "./lib/floor.ts";
import {
  buildWorkloads,
  machine,
  markdown,
  markGeneratorBound,
  type Outcome,
  type RunData,
  type Workload,
} from "./lib/report.ts";
import { ROOT, SERVERS, type ServerName, type ServerSpec } from "./lib/servers.ts";
import { targets } from "./lib/targets.ts";
import { topFunctions } from "./tools/prof-top.ts";
import { roomsHalfOnly, roomsStepAlone, runCrowd } from "./workloads/crowd.ts";
import { runFanout, runHalfOnly, stepLine } from "./workloads/fanout.ts";
import { runJsonFanout, runJsonRooms } from "./workloads/json.ts";
import { runResume } from "./workloads/resume.ts";

if (!process.env.PARLEY_BENCH_CHILD) {
  // Raise the descriptor limit as far as allowed (10,000 sockets need ~10,100; a sandbox may cap
  // the hard limit) and pin this process (the generator) to core 1, then run again; with `gc()`,
  // which each step calls before it starts (`runStep`).
  const pin = spawnSync("sh", ["-c", "command -v taskset"]).status === 0 ? "taskset -c 1 " : "";
  const args = process.argv
    .slice(2)
    .map((a) => `'${a.replace(/'/g, "")}'`)
    .join(" ");
  const child = spawnSync(
    "bash",
    [
      "-c",
      `(ulimit -n 100000 2>/dev/null || ulimit -n "$(ulimit -Hn)") && exec ${pin}"${process.execPath}" --expose-gc --import tsx bench/run.ts ${args}`,
    ],
    { cwd: ROOT, stdio: "inherit", env: { ...process.env, PARLEY_BENCH_CHILD: "1" } },
  );
  process.exit(child.status ?? 1);
}

const option = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
};

const ORDER: ServerName[] = ["sink", "parley-sqlite", "parley-memory", "ws-naive", "node-floor", "socketio", "bun"];
const servers = option("servers", ORDER.join(","))
  .split(",")
  .filter((s): s is ServerName => s in SERVERS);
const ALL_WORKLOADS = "fanout,crowd,resume,fanout-json,fanout-mix,rooms-json";
const workloads = new Set(option("workloads", ALL_WORKLOADS).split(","));
const outDir = option("out", join(ROOT, "bench/results"));
const isParley = (s: ServerName) => s.startsWith("parley");
const profileDir = join(ROOT, "bench/results/raw/profiles");
if (process.argv.includes("--cpu-prof")) {
  rmSync(profileDir, { recursive: true, force: true });
  mkdirSync(profileDir, { recursive: true });
  process.env.BENCH_CPU_PROF = profileDir;
}

const log = (line: string) => process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
/** The whole run stays under about 13 minutes: past this, remaining workloads are skipped and say so. */
const RUN_BUDGET_MS = 12 * 60_000;
const runStarted = Date.now();

const attempt = async <T>(name: string, what: string, run: () => Promise<T>): Promise<Outcome<T>> => {
  if (Date.now() - runStarted > RUN_BUDGET_MS) {
    log(`── ${name}: ${what} skipped, the run's time budget is spent`);
    return { error: "skipped: the run's 12-minute budget was spent" };
  }
  log(`── ${name}: ${what}`);
  try {
    return { ok: await run() };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    log(`   ${name} ${what} failed: ${message}`);
    return { error: message };
  }
};

const main = async (): Promise<void> => {
  mkdirSync(join(ROOT, "bench/results/raw"), { recursive: true });
  mkdirSync(outDir, { recursive: true });
  const started = Date.now();
  const run: RunData = {
    startedAt: new Date(started).toISOString(),
    seconds: 0,
    note: "",
    labels: {},
    skipped: {},
    fanout: {},
    crowd: {},
    resume: {},
    fanoutJson: {},
    roomsJson: {},
    fanoutMix: {},
    loadAverage: { before: loadavg(), after: [] },
  };
  const host = machine();
  log(`machine: ${JSON.stringify(host)}; load average ${loadavg().map((l) => l.toFixed(2))}`);
  const ready: ServerName[] = [];
  for (const name of servers) {
    const spec = SERVERS[name];
    run.labels[name] = spec.label;
    const why = spec.unavailable();
    if (why) {
      run.skipped[name] = why;
      log(`── ${name}: skipped, ${why}`);
    } else ready.push(name);
  }
  // One workload after another, every server in each: if the run's budget runs out, what is
  // skipped is the last workload's servers, never a peer's whole column (its ratios).
  const each = async (
    wanted: boolean,
    serves: (spec: ServerSpec) => boolean,
    body: (spec: ServerSpec, sub: (line: string) => void) => Promise<void>,
  ): Promise<void> => {
    if (!wanted) return;
    for (const name of ready) {
      const spec = SERVERS[name];
      if (serves(spec)) await body(spec, (line: string) => log(`   ${name} ${line}`));
    }
  };
  const all = () => true;
  // The Node floor answers one question, what Node allows in many rooms and connects: not in fan-out.
  const products = (spec: ServerSpec) => spec.name !== "node-floor";
  const parley = (spec: ServerSpec) => isParley(spec.name);
  const json = (spec: ServerSpec) => spec.json;
  await each(workloads.has("fanout"), products, async (spec, sub) => {
    run.fanout[spec.name] = await attempt(spec.name, "fan-out", () =>
      runFanout(spec, { budgetMs: 40_000, half: isParley(spec.name), log: sub }),
    );
  });
  await each(workloads.has("half") && !workloads.has("fanout"), products, async (spec, sub) => {
    const rate = Number(option("half-rate", "5500"));
    run.fanout[spec.name] = await attempt(spec.name, `fan-out at ${rate} sends/s only`, () =>
      runHalfOnly(spec, rate, sub),
    );
  });
  const idleOnly = !workloads.has("crowd");
  await each(workloads.has("crowd") || workloads.has("idle"), all, async (spec, sub) => {
    run.crowd[spec.name] = await attempt(
      spec.name,
      idleOnly ? "10,000 connections: connect, idle" : "10,000 connections: connect, idle, many rooms",
      () => runCrowd(spec, { budgetMs: 25_000, log: sub, idleOnly, half: isParley(spec.name) }),
    );
  });
  await each(workloads.has("rooms-half") && !workloads.has("crowd"), all, async (spec, sub) => {
    const rate = Number(option("rooms-half-rate", "2700"));
    run.crowd[spec.name] = await attempt(spec.name, `many rooms at ${rate} sends/s only`, async () => {
      const step = await roomsStepAlone(spec, rate);
      sub(`half-saturation at a given rate ${stepLine(step)}`);
      return roomsHalfOnly(step);
    });
  });
  await each(workloads.has("resume"), parley, async (spec, sub) => {
    run.resume[spec.name] = await attempt(spec.name, "resume", () => runResume(spec, sub));
  });
  await each(workloads.has("fanout-json"), json, async (spec, sub) => {
    run.fanoutJson[spec.name] = await attempt(spec.name, "fan-out, JSON clients with acks", () =>
      runJsonFanout(spec, { budgetMs: 13_000, log: sub }),
    );
  });
  await each(workloads.has("fanout-mix"), parley, async (spec, sub) => {
    run.fanoutMix[spec.name] = await attempt(spec.name, "fan-out, JSON, 10% reactions + 10% edits", () =>
      runJsonFanout(spec, { budgetMs: 13_000, log: sub, mix: true }),
    );
  });
  await each(workloads.has("rooms-json"), json, async (spec, sub) => {
    run.roomsJson[spec.name] = await attempt(spec.name, "many rooms, JSON clients with acks", () =>
      runJsonRooms(spec, { budgetMs: 20_000, log: sub }),
    );
  });
  run.seconds = Math.round((Date.now() - started) / 1000);
  run.loadAverage.after = loadavg();
  const loaded = Math.max(...run.loadAverage.before, ...run.loadAverage.after) > 1.5;
  run.note = loaded
    ? `Measured on a loaded machine (load average up to ${Math.max(...run.loadAverage.before, ...run.loadAverage.after).toFixed(1)} on ${host.cores} cores): absolute numbers are noisy, ratios less so.`
    : "Measured on a quiet machine.";
  const ws = buildWorkloads(run);
  const ts = targets(ws);
  const result = {
    machine: host,
    startedAt: run.startedAt,
    seconds: run.seconds,
    note: run.note,
    loadAverage: run.loadAverage,
    skipped: run.skipped,
    targets: ts,
    workloads: ws,
  };
  writeFileSync(join(outDir, "latest.json"), `${JSON.stringify(result, null, 2)}\n`);
  const md = `${markdown(ws, ts)}\n${floorNote(ws)}`;
  writeFileSync(join(outDir, "latest.md"), `${run.note} ${loadLine(run.loadAverage)}\n\n${md}`);
  const title = `Parley vs peers, ${host.cores} cores (${host.cpu}), Node ${process.version}, ${run.startedAt.slice(0, 10)}`;
  writeFileSync(join(outDir, "chart.svg"), svgChart(ws, title, subtitle(run.loadAverage.before, run.note)));
  process.stdout.write(`\n${md}\n`);
  if (process.env.BENCH_CPU_PROF) {
    const sections = readdirSync(profileDir)
      .filter((f) => f.endsWith(".cpuprofile"))
      .sort()
      .map((f) => `## ${f}\n\n\`\`\`\n${topFunctions(join(profileDir, f), 20)}\`\`\`\n`);
    writeFileSync(
      join(outDir, "profiles.md"),
      `# Parley CPU profiles (self time)\n\n${run.note}\n\n${sections.join("\n")}`,
    );
  }
  log(`done in ${run.seconds} s; wrote ${join(outDir, "latest.json")}, latest.md, chart.svg`);
};

const loadLine = (load: { before: number[]; after: number[] }): string =>
  `Load average (1, 5, 15 min) at start ${load.before.map((l) => l.toFixed(2)).join(", ")}, at the end ${load.after.map((l) => l.toFixed(2)).join(", ")}.`;

/** The chart's second line: the load average when the run started, and whether the machine was quiet. */
const subtitle = (before: number[], note: string): string =>
  `Load average at start ${before.map((l) => l.toFixed(2)).join(", ")}. ${note} Peers' bars: Parley (SQLite) ÷ that server.`;

/** Redraws the chart and table of a finished run, with the current labels. */
const rechart = (): void => {
  const saved = JSON.parse(readFileSync(join(outDir, "latest.json"), "utf8")) as {
    machine: Record<string, string | number>;
    startedAt: string;
    note: string;
    loadAverage?: { before: number[]; after: number[] };
    workloads: Workload[];
  };
  for (const w of saved.workloads) {
    for (const e of w.entries) e.label = SERVERS[e.server as ServerName]?.label ?? e.label;
  }
  markGeneratorBound(saved.workloads);
  const md = `${markdown(saved.workloads, targets(saved.workloads))}\n${floorNote(saved.workloads)}`;
  writeFileSync(
    join(outDir, "latest.md"),
    `${saved.note}${saved.loadAverage ? ` ${loadLine(saved.loadAverage)}` : ""}\n\n${md}`,
  );
  const m = saved.machine;
  const title = `Parley vs peers, ${m.cores} cores (${m.cpu}), Node ${m.node}, ${saved.startedAt.slice(0, 10)}`;
  writeFileSync(
    join(outDir, "chart.svg"),
    svgChart(saved.workloads, title, saved.loadAverage ? subtitle(saved.loadAverage.before, saved.note) : saved.note),
  );
  log(`redrew ${join(outDir, "chart.svg")} and latest.md`);
};

if (process.argv.includes("--rechart")) rechart();
else await main();
