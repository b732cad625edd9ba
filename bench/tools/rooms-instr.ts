/**
 * Instructions per message in the many-rooms shape, under callgrind: steady where CPU time is not
 * (a machine shared with other work). Starts a server under `valgrind --tool=callgrind` with
 * instrumentation off, opens 100 rooms of 10 clients (one sender per room, as the crowd workload),
 * warms it with WARM messages, then counts the instructions the server executes over N more
 * messages (in bursts of one per room, every delivery awaited), divided by N.
 * A variant is `parley-memory`, `parley-sqlite`, `ws-naive`, or `parley-…@DIR`: Parley from another
 * checkout (DIR holds its src/), for before/after. MODE=json: JSON v1 clients that wait for acks.
 * Usage: node --import tsx bench/tools/rooms-instr.ts VARIANT [N]
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connectMany } from "../lib/connect-many.ts";
import { type RawClient, Recorder } from "../lib/raw-ws.ts";
import { freePort, ROOT, SERVERS, type ServerName, sleep } from "../lib/servers.ts";
import { clientIn } from "../workloads/fanout.ts";
import { underCallgrind } from "./callgrind.ts";

const variant = process.argv[2] ?? "parley-memory";
const count = Number(process.argv[3] ?? 2000);
const mode = process.env.MODE === "json" ? "json" : "text";
const ROOMS = 100;
const ROOM_SIZE = 10;
const WARM = 2000;

const [name, checkout] = variant.split("@") as [ServerName, string | undefined];
const spec = SERVERS[name];
if (!spec) throw new Error(`unknown server ${name}`);
const dir = mkdtempSync(join(tmpdir(), "parley-rooms-instr-"));
const out = join(dir, "callgrind.out");
const port = await freePort();
// No heartbeat: its pings come by the wall clock, which valgrind stretches.
const command = spec
  .command(port, dir, mode)
  .map((part) => (checkout && part.startsWith(`${ROOT}/src/`) ? part.replace(ROOT, checkout) : part))
  .concat(name.startsWith("parley") ? ["--heartbeat-ms", "0"] : []);
const { child, control } = underCallgrind(command, out);
const recorder = new Recorder();

/**
 * Sends `n` lines in bursts, one line from every sender at once (the server reads them in few
 * turns, as near saturation), each burst's deliveries awaited before the next: how many
 * messages share a turn then depends little on how fast callgrind or the machine runs.
 */
const send = async (senders: RawClient[], n: number): Promise<void> => {
  for (let sent = 0; sent < n; ) {
    const burst = Math.min(senders.length, n - sent);
    const expected = recorder.delivered + burst * ROOM_SIZE;
    for (let i = 0; i < burst; i++) (senders[i] as RawClient).say(`${sent + i} ${"x".repeat(64)}`.slice(0, 64));
    sent += burst;
    const deadline = Date.now() + 60_000;
    while (recorder.delivered < expected) {
      if (Date.now() > deadline) throw new Error(`${expected - recorder.delivered} deliveries missing`);
      await sleep(5);
    }
  }
};

let clients: RawClient[] = [];
try {
  const deadline = Date.now() + 300_000;
  for (;;) {
    const opened = await connectMany(ROOMS * ROOM_SIZE, 20, (i) => ({
      port,
      ...clientIn(spec, mode, `r${Math.floor(i / ROOM_SIZE)}`),
      recorder,
    }));
    clients = opened.clients;
    if (opened.failed === 0) break;
    for (const c of clients) c?.destroy();
    if (Date.now() > deadline) throw new Error(`${opened.failed} handshakes failed`);
    await sleep(2000);
  }
  await sleep(3000);
  const senders = clients.filter((_, i) => i % ROOM_SIZE === 0);
  await send(senders, WARM);
  await sleep(1000);
  control("-i", "on");
  await send(senders, count);
  control("-d");
  control("-i", "off");
  // The dump's "summary:" / "totals:" line is the instructions counted while instrumentation was on.
  const dumps = spawnSync("sh", ["-c", `cat ${out}*`], { encoding: "utf8" }).stdout;
  const totals = [...dumps.matchAll(/^(?:summary|totals): (\d+)/gm)].map((m) => Number(m[1]));
  const ir = Math.max(...totals);
  // V8's optimizing compiler still tiers functions up in the window (slowly, under valgrind): shown apart.
  const files = spawnSync("sh", ["-c", `ls ${out}*`], { encoding: "utf8" })
    .stdout.trim()
    .split("\n");
  let compile = 0;
  for (const file of files) {
    const annotated = spawnSync("callgrind_annotate", ["--inclusive=yes", file], { encoding: "utf8" }).stdout;
    const line = annotated.split("\n").find((l) => l.includes("OptimizingCompileTaskExecutor::CompileTask::Run"));
    compile = Math.max(compile, Number(line?.trim().split(" ")[0]?.replace(/,/g, "") ?? 0));
  }
  const k = (n: number) => (n / count / 1000).toFixed(1);
  process.stdout.write(
    `${variant} ${mode}: ${k(ir)} k instructions per message, ${k(ir - compile)} k without the optimizing compiler (${count})\n`,
  );
} finally {
  for (const c of clients) c?.destroy();
  child.kill("SIGKILL");
  if (process.env.CALLGRIND_KEEP) spawnSync("sh", ["-c", `cp ${out}* ${process.env.CALLGRIND_KEEP}/`]);
  rmSync(dir, { recursive: true, force: true });
}
process.exit(0);
