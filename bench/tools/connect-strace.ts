/**
 * Syscalls per handshake: starts a server fresh (as connect-threads.ts does), opens 500 clients,
 * then attaches `strace -f -c` and opens N more (100 in flight, rooms of 10), and prints strace's
 * table divided by N. Compare Parley with the Cookbook port on ws (`ws-naive`).
 * Usage: node --import tsx bench/tools/connect-strace.ts [N] [server...]
 */
import { spawn } from "node:child_process";
import { connectMany } from "../lib/connect-many.ts";
import { Recorder } from "../lib/raw-ws.ts";
import { SERVERS, type ServerName, sleep, startServer } from "../lib/servers.ts";

const count = Number(process.argv[2] ?? 2000);
const names = (process.argv.length > 3 ? process.argv.slice(3) : ["parley-memory", "ws-naive"]) as ServerName[];

for (const name of names) {
  const server = await startServer(SERVERS[name], "connect-strace");
  await sleep(1000);
  const recorder = new Recorder();
  const path = (i: number) => (name.startsWith("parley") ? `/chat/r${Math.floor(i / 10)}` : `/r${Math.floor(i / 10)}`);
  const dial = (n: number, from: number) =>
    connectMany(n, 100, (i) => ({ port: server.port, path: path(from + i), dialect: "ws", recorder }));
  const warm = await dial(500, 0);
  const strace = spawn("strace", ["-f", "-c", "-p", String(server.pid)], { stdio: ["ignore", "ignore", "pipe"] });
  let table = "";
  strace.stderr?.on("data", (d: Buffer) => {
    table += d.toString();
  });
  const done = new Promise<void>((resolve) => strace.once("exit", () => resolve()));
  await sleep(1500);
  const opened = await dial(count, 500);
  await sleep(1500);
  strace.kill("SIGINT");
  await done;
  process.stdout.write(`\n${name}: ${opened.clients.length} opened, ${opened.failed} failed; calls per handshake:\n`);
  for (const line of table.split("\n")) {
    const m = /^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(\d+)?\s*(\w+)\s*$/.exec(line);
    if (m && m[3] !== "total") process.stdout.write(`  ${m[3]} ${(Number(m[1]) / count).toFixed(2)}\n`);
    else if (/total/.test(line)) process.stdout.write(`  ${line.trim()}\n`);
  }
  for (const c of [...warm.clients, ...opened.clients]) c.destroy();
  await server.stop();
}
process.exit(0);
