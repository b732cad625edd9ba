/**
 * Server CPU per handshake: starts each server fresh (as the bench does), opens 1,000 clients to
 * warm it, then N more from this process, and divides the server's CPU over those N handshakes
 * (user + system, from /proc) by N. CPU time, not wall-clock, so it holds on a machine shared with
 * other work. Rounds alternate the servers; the median is printed.
 * Usage: node --import tsx bench/tools/connect-cpu.ts [N] [ROUNDS] [server...]
 */
import { readFileSync } from "node:fs";
import { connectMany } from "../lib/connect-many.ts";
import { Recorder } from "../lib/raw-ws.ts";
import { SERVERS, type ServerName, sleep, startServer } from "../lib/servers.ts";

const count = Number(process.argv[2] ?? 5000);
const rounds = Number(process.argv[3] ?? 3);
const names = (process.argv.length > 4 ? process.argv.slice(4) : ["parley-memory", "ws-naive"]) as ServerName[];
const WARM = 1000;
/** V8 writes its profile on exit, which a peer killed by SIGTERM never reaches. */
const EXIT_ON_TERM = 'data:text/javascript,process.on("SIGTERM",()=>process.exit(0))';

/** [user, system] CPU seconds of a process (clock ticks of 10 ms). */
const cpu = (pid: number): [number, number] => {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  return [Number(fields[11]) / 100, Number(fields[12]) / 100];
};

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

const results = new Map<ServerName, { total: number[]; user: number[] }>(
  names.map((n) => [n, { total: [], user: [] }]),
);
for (let round = 0; round < rounds; round++) {
  for (const name of names) {
    const base = SERVERS[name];
    const dir = process.env.BENCH_CPU_PROF;
    // Parley adds --cpu-prof itself under BENCH_CPU_PROF; the Node peers get it here.
    const spec =
      dir && name === "ws-naive"
        ? {
            ...base,
            command: (...args: Parameters<typeof base.command>) => {
              const [node, ...rest] = base.command(...args);
              return [node as string, "--cpu-prof", `--cpu-prof-dir=${dir}`, `--import=${EXIT_ON_TERM}`, ...rest];
            },
          }
        : base;
    const server = await startServer(spec, "connect-cpu");
    const recorder = new Recorder();
    const dial = (n: number, from: number) =>
      connectMany(n, 100, (i) => ({
        port: server.port,
        path: spec.path(`r${Math.floor((from + i) / 10)}`),
        dialect: spec.dialect,
        recorder,
      }));
    const warm = await dial(WARM, 0);
    await sleep(1000);
    const [user0, sys0] = cpu(server.pid);
    const from = process.hrtime.bigint() / 1000n;
    const opened = await dial(count, WARM);
    await sleep(300);
    const [user1, sys1] = cpu(server.pid);
    // On the monotonic clock V8's profiles use: prof-top.ts can keep only these samples.
    if (process.env.BENCH_CPU_PROF) process.stdout.write(`window ${from} ${process.hrtime.bigint() / 1000n}\n`);
    const done = count - opened.failed;
    const user = ((user1 - user0) / done) * 1e6;
    const total = ((user1 - user0 + sys1 - sys0) / done) * 1e6;
    results.get(name)?.total.push(total);
    results.get(name)?.user.push(user);
    process.stdout.write(
      `${name} round ${round + 1}: ${total.toFixed(1)} µs per handshake (user ${user.toFixed(1)}), ${opened.failed} failed\n`,
    );
    for (const c of [...warm.clients, ...opened.clients]) c?.destroy();
    await server.stop();
  }
}
for (const [name, r] of results) {
  process.stdout.write(
    `${name}: median ${median(r.total).toFixed(1)} µs per handshake, user ${median(r.user).toFixed(1)} ` +
      `(all: ${r.total.map((v) => v.toFixed(0)).join(", ")})\n`,
  );
}
process.exit(0);
