/**
 * Turns a run into `bench/results/latest.json` (one object per workload, one entry per
 * server, raw numbers and the Parley/peer ratios), a Markdown table and an SVG chart.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import type { CrowdResult } from "../workloads/crowd.ts";
import type { FanoutResult } from "../workloads/fanout.ts";
import type { JsonResult } from "../workloads/json.ts";
import type { ResumeResult } from "../workloads/resume.ts";
import type { HalfBasis, HalfStep, RampTop } from "./ramp.ts";
import { costWorkloads, jsonWorkloads } from "./report-json.ts";
import { bunBinary, ROOT, type ServerName } from "./servers.ts";
import type { Target } from "./targets.ts";

export type Outcome<T> = { ok: T } | { error: string };

export interface RunData {
  startedAt: string;
  seconds: number;
  note: string;
  labels: Record<string, string>;
  skipped: Record<string, string>;
  fanout: Partial<Record<ServerName, Outcome<FanoutResult>>>;
  crowd: Partial<Record<ServerName, Outcome<CrowdResult>>>;
  resume: Partial<Record<ServerName, Outcome<ResumeResult>>>;
  fanoutJson: Partial<Record<ServerName, Outcome<JsonResult>>>;
  roomsJson: Partial<Record<ServerName, Outcome<JsonResult>>>;
  fanoutMix: Partial<Record<ServerName, Outcome<JsonResult>>>;
  loadAverage: { before: number[]; after: number[] };
}

export interface Entry {
  server: string;
  label: string;
  value: number | null;
  /** The value is a floor: the server passed the ramp's last rate or ran out of time, never failing. */
  floor: boolean;
  /** Parley's value divided by this server's, for each Parley configuration. */
  ratio: Record<string, number | null>;
  /**
   * Half-saturation steps: the send rate, what it is half of, and the generator's state in that
   * step (its CPU, and its event loop's p99 delay: a p99 near that is the generator's own).
   */
  half?: {
    sendRate: number;
    basis: HalfBasis;
    generatorCpu: number;
    generatorLagP99Ms: number;
    of?: RampTop | null;
  };
  raw: unknown;
}

export interface Workload {
  workload: string;
  metric: string;
  unit: string;
  better: "higher" | "lower";
  entries: Entry[];
}

export const PARLEYS = ["parley-sqlite", "parley-memory"] as const;

export const workload = <T>(
  name: string,
  metric: string,
  unit: string,
  better: "higher" | "lower",
  data: Partial<Record<ServerName, Outcome<T>>>,
  labels: Record<string, string>,
  pick: (r: T) => number | null,
  floor: (r: T) => boolean = () => false,
  half: (r: T) => HalfStep | null = () => null,
): Workload => {
  const values = new Map<string, number | null>();
  const entries: Entry[] = Object.entries(data).map(([server, outcome]) => {
    const value = outcome && "ok" in outcome ? pick(outcome.ok) : null;
    values.set(server, value);
    const isFloor = outcome !== undefined && "ok" in outcome && floor(outcome.ok);
    const step = outcome && "ok" in outcome ? half(outcome.ok) : null;
    return {
      server,
      label: labels[server] ?? server,
      value,
      floor: isFloor,
      ratio: {},
      raw: outcome,
      ...(step
        ? {
            half: {
              sendRate: step.step.sendRate,
              basis: step.basis,
              generatorCpu: step.step.generatorCpu,
              generatorLagP99Ms: step.step.generatorLagP99Ms,
              of: step.of ?? null,
            },
          }
        : {}),
    };
  });
  for (const entry of entries) {
    for (const parley of PARLEYS) {
      const mine = values.get(parley);
      if (mine === undefined) continue;
      entry.ratio[parley] =
        mine === null || entry.value === null || entry.value === 0
          ? null
          : Math.round((mine / entry.value) * 100) / 100;
    }
  }
  return { workload: name, metric, unit, better, entries };
};

/** A package's version, from Parley's own modules or the peers' (`bench/node_modules`). */
const versionOf = (pkg: string): string => {
  for (const dir of ["node_modules", "bench/node_modules"]) {
    try {
      return (JSON.parse(readFileSync(join(ROOT, dir, pkg, "package.json"), "utf8")) as { version: string }).version;
    } catch {}
  }
  return "not installed";
};

export const machine = (): Record<string, string | number> => {
  const bun = bunBinary();
  return {
    cores: cpus().length,
    cpu: cpus()[0]?.model ?? "unknown",
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    pinning: "server on core 0, generator on core 1 (taskset)",
    ws: versionOf("ws"),
    "socket.io": versionOf("socket.io"),
    bun: bun ? spawnSync(bun, ["--version"], { encoding: "utf8" }).stdout.trim() : "not installed",
  };
};

export const buildWorkloads = (run: RunData): Workload[] =>
  markGeneratorBound([...textWorkloads(run), ...jsonWorkloads(run), ...costWorkloads(run)]);

/** Within the ramp's resolution (an eighth of a doubling) and a little noise of the sink's figure. */
export const GENERATOR_SHARE = 0.85;

/**
 * A server whose throughput comes within GENERATOR_SHARE of the sink's, in the same workload,
 * failed where the generator fails too: its figure is the generator's ceiling, a floor of its own.
 */
export const markGeneratorBound = (ws: Workload[]): Workload[] => {
  for (const w of ws) {
    const sink = w.unit === "msgs/s" ? w.entries.find((e) => e.server === "sink")?.value : null;
    if (!sink) continue;
    for (const e of w.entries) {
      if (e.server !== "sink" && e.value !== null && e.value >= GENERATOR_SHARE * sink) e.floor = true;
    }
  }
  return ws;
};

const textWorkloads = (run: RunData): Workload[] => [
  workload(
    "fanout",
    "highest delivered msgs/s with p99 ≤ 100 ms (1,000 clients in one room, 4 senders)",
    "msgs/s",
    "higher",
    run.fanout,
    run.labels,
    (r) => r.ramp.maxDelivered,
    (r) => r.ramp.stoppedBy !== "p99",
  ),
  workload(
    "fanout-fixed-rate",
    "p99 end-to-end latency at 50,000 deliveries/s (50 sends/s × 1,000 clients)",
    "ms",
    "lower",
    run.fanout,
    run.labels,
    (r) => r.fixed?.p99Ms ?? null,
  ),
  workload(
    "fanout-cpu",
    // At 50 sends/s messages come 20 ms apart: a server with its core to itself has nothing to
    // coalesce and makes about one socket write per delivery (fanout-writes says whether it did),
    // so this compares the cost of a write. It is not fan-out capacity: from a few hundred sends/s
    // Parley and Bun both keep their core busy and put more messages in each write as the rate rises.
    "server CPU µs per delivered message at 50,000 deliveries/s (messages 20 ms apart: about a socket write each, see fanout-writes)",
    "µs",
    "lower",
    run.fanout,
    run.labels,
    (r) => r.fixed?.serverCpuUsPerDelivery ?? null,
  ),
  workload(
    "fanout-writes",
    "server write system calls per delivery at 50,000 deliveries/s (perf tracepoints; 1: a write per delivery, fewer: messages coalesced)",
    "writes",
    "lower",
    run.fanout,
    run.labels,
    (r) => r.fixed?.serverWritesPerDelivery ?? null,
  ),
  workload(
    "fanout-half-saturation",
    "p99 at half of the server's highest passing rate, on a fresh server (target ≤ 20 ms for Parley; see the half-saturation note)",
    "ms",
    "lower",
    run.fanout,
    run.labels,
    (r) => r.half?.step.p99Ms ?? null,
    () => false,
    (r) => r.half,
  ),
  workload(
    "many-rooms",
    "highest delivered msgs/s with p99 ≤ 100 ms (10,000 connections in 1,000 rooms of 10)",
    "msgs/s",
    "higher",
    run.crowd,
    run.labels,
    (r) => r.rooms?.ramp.maxDelivered ?? null,
    (r) => r.rooms !== null && r.rooms.ramp.stoppedBy !== "p99",
  ),
  workload(
    "many-rooms-fixed-rate",
    "p99 end-to-end latency at 20,000 deliveries/s in 1,000 rooms (2,000 sends/s)",
    "ms",
    "lower",
    run.crowd,
    run.labels,
    (r) => r.rooms?.fixed?.p99Ms ?? null,
  ),
  workload(
    "many-rooms-half-saturation",
    "p99 at half of the server's highest passing many-rooms rate, on a fresh server (target ≤ 20 ms for Parley)",
    "ms",
    "lower",
    run.crowd,
    run.labels,
    (r) => r.rooms?.half?.step.p99Ms ?? null,
    () => false,
    (r) => r.rooms?.half ?? null,
  ),
  workload(
    "idle-memory",
    "server RSS per idle connection at 10,000 connections",
    "kB",
    "lower",
    run.crowd,
    run.labels,
    (r) => r.idle?.kbPerConnection ?? null,
  ),
  workload(
    "connect-rate",
    "WebSocket handshakes per second (10,000 clients, 100 in flight)",
    "handshakes/s",
    "higher",
    run.crowd,
    run.labels,
    (r) => r.connect?.perSecond ?? null,
  ),
  workload(
    "resume",
    "reconnect + join{room,since} until a 1,000-message gap is delivered (median of 10)",
    "ms",
    "lower",
    run.resume,
    run.labels,
    (r) => r.medianMs,
  ),
];

export const fmt = (v: number | null, unit: string): string =>
  v === null
    ? "n/a"
    : unit === "ms" || unit === "kB" || unit === "µs" || unit === "writes"
      ? v.toFixed(2)
      : Math.round(v).toLocaleString("en-US");

export const markdown = (ws: Workload[], ts: Target[]): string => {
  const servers = [...new Set(ws.flatMap((w) => w.entries.map((e) => e.server)))];
  const label = (s: string) => ws.flatMap((w) => w.entries).find((e) => e.server === s)?.label ?? s;
  const head = `| workload | ${servers.map(label).join(" | ")} |\n|---|${servers.map(() => "---:").join("|")}|`;
  const rows = ws.map((w) => {
    const cells = servers.map((s) => {
      const e = w.entries.find((x) => x.server === s);
      return e ? `${e.floor ? "≥ " : ""}${fmt(e.value, w.unit)}` : "";
    });
    return `| ${w.workload} (${w.unit}, ${w.better} is better) | ${cells.join(" | ")} |`;
  });
  // The same workloads as ratios: Parley (SQLite) ÷ each server of this run (> 1 is Parley ahead when higher is better).
  const ratioRows = ws.flatMap((w) => {
    const cells = servers.map((s) => {
      const r = w.entries.find((x) => x.server === s)?.ratio["parley-sqlite"];
      return r === undefined || r === null ? "" : `${r}×`;
    });
    return cells.some((c) => c !== "") ? [`| ${w.workload} | ${cells.join(" | ")} |`] : [];
  });
  const targetRows = ts.map((t) => {
    const measured =
      t.measured === null ? "n/a" : `${t.bound === "lower" ? "≥ " : t.bound === "upper" ? "≤ " : ""}${t.measured}`;
    const verdict = t.met !== null ? (t.met ? "met" : "MISSED") : t.measured === null ? "n/a" : "not shown";
    return `| ${t.what} | ${t.target} | ${measured} | ${verdict} |`;
  });
  const ratios = `Parley (SQLite) ÷ each server, same run:\n\n${head}\n${ratioRows.join("\n")}\n\n`;
  const halves = halfNotes(ws);
  return `${head}\n${rows.join("\n")}\n\n${ratios}"≥": the server passed the ramp's highest rate (or its time ran out) without failing, or came within ${Math.round((1 - GENERATOR_SHARE) * 100)}% of the sink's figure (the generator's ceiling), so the figure is a floor; a target measured against a floor is "not shown" when the bound cannot decide it (e.g. Parley at the generator's ceiling: the sink's figure in the same workload).\n\n${halves}| target | wanted | measured | |\n|---|---|---:|---|\n${targetRows.join("\n")}\n`;
};

/** The throughput workload whose ramp a half-saturation workload halves. */
const rampOf = (half: string): string => half.replace(/-half-saturation$/, "");

/**
 * What a half step was half of, judged with the whole run: a ramp figure that is a floor (the
 * ramp's top, its time budget, or the generator's ceiling by `markGeneratorBound`) makes the
 * step half of what the generator drove, not of the server's saturation.
 */
export const halfBasisOf = (ws: Workload[], half: string, server: string): HalfBasis | null => {
  const entry = ws.find((w) => w.workload === half)?.entries.find((e) => e.server === server);
  if (!entry?.half) return null;
  const rampEntry = ws.find((w) => w.workload === rampOf(half))?.entries.find((e) => e.server === server);
  return entry.half.basis === "saturation" && rampEntry?.floor ? "floor" : entry.half.basis;
};

const BASIS_TEXT: Record<HalfBasis, string> = {
  saturation: "half of its saturation (the highest rate passed below one it failed)",
  floor:
    "half of a floor: it passed the ramp's top or reached the generator's ceiling, so its own saturation is higher and was not measured",
  given: "a rate given on the command line",
};

/** For a floor: where the server's core would be full, from its CPU at the rate halved. */
const cpuEstimate = (top: RampTop): string =>
  top.serverCpu > 0
    ? `; at ${top.sendRate.toLocaleString("en-US")} sends/s the server used ${top.serverCpu} of its core, so by CPU its ` +
      `saturation is near ${Math.round(top.sendRate / top.serverCpu).toLocaleString("en-US")} sends/s`
    : "";

const halfNotes = (ws: Workload[]): string => {
  const lines = ws
    .filter((w) => w.workload.endsWith("-half-saturation"))
    .flatMap((w) =>
      w.entries.flatMap((e) => {
        const basis = halfBasisOf(ws, w.workload, e.server);
        return e.half && basis
          ? [
              `- ${w.workload}, ${e.label}: ${e.half.sendRate.toLocaleString("en-US")} sends/s, ${BASIS_TEXT[basis]}; ` +
                `the generator used ${e.half.generatorCpu} of its core, its event loop's delay p99 ${e.half.generatorLagP99Ms} ms` +
                `${basis === "floor" && e.half.of ? cpuEstimate(e.half.of) : ""}.`,
            ]
          : [];
      }),
    );
  return lines.length > 0 ? `Half-saturation steps:\n\n${lines.join("\n")}\n\n` : "";
};
