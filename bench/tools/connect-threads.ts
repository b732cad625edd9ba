/**
 * The crowd workload's connect phase, thread by thread: starts each server fresh (as the bench
 * does, pinned to core 0), waits 1 s, opens 10,000 clients 100 at a time into rooms of 10, and
 * prints the server's CPU per handshake split by thread (/proc/PID/task/TID/stat: main thread,
 * SQLite writer, libuv pool, V8 helpers), then the RSS growth per connection 2 s later (the
 * bench's idle figure). Rounds alternate the servers. `server+FLAG` starts a server with a Node
 * flag more, after its own (e.g. `parley-sqlite+--max-semi-space-size=0`: V8's default young generation).
 * TRAFFIC=RATE: then a fixed step of RATE sends/s (one sender per room, as the crowd workload) and the
 * server's CPU per delivery.
 * Usage: node --import tsx bench/tools/connect-threads.ts [N] [ROUNDS] [server[+flag]...]
 */
import { readdirSync, readFileSync } from "node:fs";
import { connectMany } from "../lib/connect-many.ts";
import { Recorder } from "../lib/raw-ws.ts";
import { SERVERS, type ServerName, sleep, startServer } from "../lib/servers.ts";
import { runStep } from "../lib/traffic.ts";

const count = Number(process.argv[2] ?? 10_000);
const rounds = Number(process.argv[3] ?? 3);
/** ROOM_SIZE=N: rooms of N instead of 10 (with TRAFFIC, the fan-out shape: one sender per room). */
const roomSize = Number(process.env.ROOM_SIZE ?? 10);
const names = process.argv.length > 4 ? process.argv.slice(4) : ["parley-sqlite", "parley-memory"];

/** CPU seconds (user + system) of each thread of a process, by "name tid". */
const threads = (pid: number): Map<string, number> => {
  const out = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8");
      const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const fields = stat.split(") ")[1]?.split(" ") ?? [];
      out.set(`${name} ${tid === String(pid) ? "main" : tid}`, (Number(fields[11]) + Number(fields[12])) / 100);
    } catch {
      // the thread ended
    }
  }
  return out;
};

for (let round = 0; round < rounds; round++) {
  for (const name of names) {
    const [base, flag] = name.split("+") as [ServerName, string | undefined];
    const plain = SERVERS[base];
    const spec = flag
      ? {
          ...plain,
          command: (...args: Parameters<typeof plain.command>) => {
            // Before the script, after the launcher's own flags: the last of a V8 flag wins.
            const command = plain.command(...args);
            const at = command.includes("--import") ? command.indexOf("--import") : 1;
            return [...command.slice(0, at), flag, ...command.slice(at)];
          },
        }
      : plain;
    const server = await startServer(spec, "connect-threads");
    await sleep(1000);
    const rss0 = server.rssKb();
    const before = threads(server.pid);
    const recorder = new Recorder();
    const opened = await connectMany(count, 100, (i) => ({
      port: server.port,
      path: spec.path(`r${Math.floor(i / roomSize)}`),
      dialect: spec.dialect,
      recorder,
    }));
    const after = threads(server.pid);
    const done = count - opened.failed;
    let total = 0;
    const parts: string[] = [];
    for (const [thread, seconds] of after) {
      const used = seconds - (before.get(thread) ?? 0);
      total += used;
      if (used > 0) parts.push(`${thread} ${((used / done) * 1e6).toFixed(0)}`);
    }
    await sleep(2000);
    const rss = ((server.rssKb() - rss0) / done).toFixed(2);
    process.stdout.write(
      `${name} round ${round + 1}: ${((total / done) * 1e6).toFixed(0)} µs per handshake ` +
        `(${Math.round(done / (opened.ms / 1000))}/s, ${opened.failed} failed), RSS ${rss} kB per connection: ` +
        `${parts.join(", ")}\n`,
    );
    const rate = Number(process.env.TRAFFIC ?? 0);
    if (rate > 0) {
      const senders = opened.clients.filter((c, i) => i % roomSize === 0 && c.open);
      const step = await runStep({
        senders,
        recorder,
        server,
        fanout: roomSize,
        sendRate: rate,
        warmMs: 500,
        measureMs: 3000,
      });
      process.stdout.write(
        `    ${rate} sends/s: ${step.serverCpuUsPerDelivery?.toFixed(2)} µs server CPU per delivery, ` +
          `p99 ${step.p99Ms?.toFixed(1)} ms, delivered ${step.delivered}/${step.offered}\n`,
      );
    }
    for (const c of opened.clients) c?.destroy();
    await server.stop();
  }
}
process.exit(0);
