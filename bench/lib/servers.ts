/**
 * The servers under test, each started fresh by the bench on loopback, pinned to core 0
 * (`taskset -c 0`) while the generator runs on core 1.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { createServer, connect as tcpConnect } from "node:net";
import { availableParallelism } from "node:os";
import { join, resolve } from "node:path";
import { serverFlags } from "../../bin/node-flags.js";
import type { Dialect } from "./raw-ws.ts";

export const ROOT = resolve(import.meta.dirname, "../..");

export type ServerName = "sink" | "parley-sqlite" | "parley-memory" | "ws-naive" | "node-floor" | "socketio" | "bun";

export interface ServerSpec {
  name: ServerName;
  label: string;
  dialect: Dialect;
  /** The URL path (and query) a client uses to be in `room`. */
  path(room: string): string;
  /** Why it cannot run here, or null. */
  unavailable(): string | null;
  /** `json`: the server speaks the JSON v1 shape (Parley always does, on `parley.v1`; a peer is started for it). */
  command(port: number, dataDir: string, mode: Mode): string[];
  /** Whether it can serve the JSON workloads (JSON v1 clients that wait for acks). */
  json: boolean;
}

/** What the clients of a workload speak: Cookbook text lines, or JSON v1 with acks. */
export type Mode = "text" | "json";

const TSX = ["--import", "tsx"];

/** Servers run on core 0 alone when `taskset` is there (the generator on core 1). */
export const PINNED = existsSync("/usr/bin/taskset");

/**
 * The Node flags Parley's launcher (`bin/parley.js`, run by `npm start` too) gives a server with the
 * cores this one gets: the bench runs it as the launcher would.
 */
export const PARLEY_NODE_FLAGS = serverFlags([], PINNED ? 1 : availableParallelism());

/** The `bun` binary of the npm package `bun`, wherever this install put it. */
export const bunBinary = (): string | null => {
  const candidates = [
    join(ROOT, "bench/node_modules/bun/bin/bun.exe"),
    join(ROOT, "bench/node_modules/@oven/bun-linux-x64/bin/bun"),
    join(ROOT, "bench/node_modules/@oven/bun-linux-x64-baseline/bin/bun"),
  ];
  for (const file of candidates) {
    if (!existsSync(file)) continue;
    const probe = spawnSync(file, ["--version"], { encoding: "utf8", timeout: 10_000 });
    if (probe.status === 0) return file;
  }
  return null;
};

const parley = (name: ServerName, store: "sqlite" | "memory", label: string): ServerSpec => ({
  name,
  label,
  dialect: "ws",
  path: (room) => `/chat/${room}`,
  unavailable: () => null,
  json: true,
  command: (port, dataDir) => [
    process.execPath,
    ...PARLEY_NODE_FLAGS,
    ...TSX,
    // `npm run bench -- --cpu-prof`: a V8 profile per Parley start (renamed for the workload on stop).
    ...(process.env.BENCH_CPU_PROF ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : []),
    join(ROOT, "src/cli.ts"),
    "--host",
    "127.0.0.1",
    "--port",
    "0",
    "--ws-port",
    String(port),
    "--store",
    store,
    "--data-dir",
    dataDir,
    // A load generator is one client address sending far past a person's rate; and a log line per connection
    // would measure pino, not fan-out. Limits and logs have their own tests.
    ...BENCH_LIMITS,
  ],
});

/** Parley's per-person limits lifted for the bench (one loopback address plays thousands of users). */
export const BENCH_LIMITS = [
  "--rate-limit",
  "0",
  "--max-connections-per-ip",
  "0",
  "--max-handshakes-per-ip",
  "0",
  "--max-connections",
  "0",
  "--log-level",
  "warn",
];

export const SERVERS: Record<ServerName, ServerSpec> = {
  sink: {
    name: "sink",
    label: "sink (generator check)",
    dialect: "ws",
    path: (room) => `/${room}`,
    unavailable: () => null,
    json: true,
    // On Bun's raw sockets when the peers are installed (cheaper writes: in many rooms a Node sink
    // is the limit before the generator is), else on Node's.
    command: (port) => {
      const bun = bunBinary();
      return bun
        ? [bun, join(ROOT, "bench/sink-bun.js"), String(port), "5"]
        : [process.execPath, ...TSX, join(ROOT, "bench/sink.ts"), String(port), "5"];
    },
  },
  "parley-sqlite": parley("parley-sqlite", "sqlite", "Parley (SQLite, sync=full)"),
  "parley-memory": parley("parley-memory", "memory", "Parley (memory store)"),
  "ws-naive": {
    name: "ws-naive",
    label: "Cookbook port on ws",
    dialect: "ws",
    path: (room) => `/${room}`,
    unavailable: () => null,
    json: true,
    command: (port, _dataDir, mode) => [
      process.execPath,
      ...TSX,
      join(ROOT, "bench/peers/ws-naive.ts"),
      String(port),
      ...(mode === "json" ? ["json"] : []),
    ],
  },
  // Not a product: the least any server on Node does (bench/peers/node-floor.js), for the many-rooms
  // shape and connects only, to show which targets Node itself allows.
  "node-floor": {
    name: "node-floor",
    label: "Node floor (net, no ws)",
    dialect: "ws",
    path: (room) => `/${room}`,
    unavailable: () => null,
    json: false,
    // Parley's V8 flags: the floor gets every advantage Parley has.
    command: (port) => [process.execPath, ...PARLEY_NODE_FLAGS, join(ROOT, "bench/peers/node-floor.js"), String(port)],
  },
  socketio: {
    name: "socketio",
    label: "Socket.IO rooms",
    dialect: "sio",
    path: (room) => `/socket.io/?EIO=4&transport=websocket&room=${room}`,
    unavailable: () =>
      existsSync(join(ROOT, "bench/node_modules/socket.io"))
        ? null
        : "socket.io is not installed in bench/node_modules (npm run bench:peers)",
    json: false,
    command: (port) => [process.execPath, ...TSX, join(ROOT, "bench/peers/socketio.ts"), String(port)],
  },
  bun: {
    name: "bun",
    label: "Bun pub/sub",
    dialect: "ws",
    path: (room) => `/${room}`,
    unavailable: () =>
      bunBinary()
        ? null
        : "the npm package bun installed no runnable binary (bench/node_modules/@oven/bun-linux-x64*; npm run bench:peers)",
    json: true,
    command: (port, _dataDir, mode) => [
      bunBinary() ?? "bun",
      join(ROOT, "bench/peers/bun-pubsub.js"),
      String(port),
      ...(mode === "json" ? ["json"] : []),
    ],
  },
};

export const freePort = (): Promise<number> =>
  new Promise((done, fail) => {
    const probe = createServer();
    probe.once("error", fail);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      probe.close(() => done(typeof address === "object" && address ? address.port : 0));
    });
  });

const canConnect = (port: number): Promise<boolean> =>
  new Promise((done) => {
    const socket = tcpConnect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      done(true);
    });
    socket.once("error", () => done(false));
  });

export const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

export interface RunningServer {
  spec: ServerSpec;
  port: number;
  pid: number;
  rssKb(): number;
  /** CPU seconds (user + system) the server process has used so far. */
  cpuSeconds(): number;
  stop(): Promise<void>;
}

const CLOCK_TICKS = 100;

/**
 * V8 writes one profile per thread, named CPU.<date>.<time>.<pid>.<thread>.<n>.cpuprofile; the
 * main thread (0) is Parley, the others are tsx's loader. Keep the first, named for the workload.
 */
const keepMainThreadProfile = (pid: number, name: string): void => {
  const dir = process.env.BENCH_CPU_PROF;
  if (!dir || !existsSync(dir)) return;
  for (const file of readdirSync(dir)) {
    const match = /^CPU\.\d+\.\d+\.(\d+)\.(\d+)\.\d+\.cpuprofile$/.exec(file);
    if (!match || Number(match[1]) !== pid) continue;
    if (match[2] === "0") renameSync(join(dir, file), join(dir, `${name}.cpuprofile`));
    else rmSync(join(dir, file));
  }
};

/** Starts a server on core 0 and waits until its port answers (15 s at most). */
export const startServer = async (spec: ServerSpec, tag = "run", mode: Mode = "text"): Promise<RunningServer> => {
  const port = await freePort();
  mkdirSync(join(ROOT, "bench/results/raw"), { recursive: true }); // not in a fresh clone
  const dataDir = mkdtempSync(join(ROOT, "bench/results/raw/data-"));
  const [file, ...args] = spec.command(port, dataDir, mode) as [string, ...string[]];
  const pinned = PINNED ? ["taskset", ["-c", "0", file, ...args]] : [file, args];
  const child: ChildProcess = spawn(pinned[0] as string, pinned[1] as string[], {
    cwd: ROOT,
    // `BENCH_SERVER_STDOUT`: a file for the server's stdout (V8's --trace-gc lines, `bench/tools/tail-probe.ts`).
    stdio: [
      "ignore",
      process.env.BENCH_SERVER_STDOUT ? openSync(process.env.BENCH_SERVER_STDOUT, "a") : "ignore",
      "pipe",
    ],
    env: { ...process.env, NODE_ENV: "production" },
  });
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-2000);
  });
  let stopping = false;
  const exited = new Promise<void>((done) =>
    child.once("exit", (code, signal) => {
      // A server that dies mid-workload must say so, with why, not show up only as a failed step.
      if (!stopping)
        process.stderr.write(`${spec.name} exited unexpectedly (code ${code}, signal ${signal}): ${stderr.trim()}\n`);
      done();
    }),
  );
  const deadline = Date.now() + 15_000;
  while (!(await canConnect(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      stopping = true;
      child.kill("SIGKILL");
      throw new Error(`${spec.name} did not start: ${stderr.trim() || "no output"}`);
    }
    await sleep(50);
  }
  const pid = child.pid as number;
  return {
    spec,
    port,
    pid,
    rssKb: () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0),
    cpuSeconds: () => {
      const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
      return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
    },
    stop: async () => {
      // SIGTERM lets Parley write its --cpu-prof profile; SIGKILL if it lingers.
      stopping = true;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(timer);
      keepMainThreadProfile(pid, `${spec.name}-${tag}`);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
};
