/**
 * Instructions per handshake, under callgrind: steady where CPU time is not (a machine shared
 * with other work). Starts Parley (memory store, bench limits) or the Cookbook port on ws under
 * `valgrind --tool=callgrind` with instrumentation off, warms it with 500 clients, counts the
 * instructions the server executes over N more handshakes (and their settling), divides by N.
 * `parley-sqlite`: the default SQLite store instead of the memory one. CALLGRIND_KEEP=dir keeps
 * the profile there (for callgrind_annotate). Also printed, from callgrind_annotate: the part run by
 * V8's worker threads (optimising compilers, concurrent GC) and by the main thread's collections,
 * which swing with where compiles and collections fall; the rest (the main thread's own work) is
 * what holds steady from run to run, so compare that. WARM=n warms with n clients (500).
 * Usage: node --import tsx bench/tools/connect-instr.ts parley|parley-sqlite|naive [N]
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connectMany } from "../lib/connect-many.ts";
import { Recorder } from "../lib/raw-ws.ts";
import { freePort, SERVERS, sleep } from "../lib/servers.ts";
import { underCallgrind } from "./callgrind.ts";

const which = process.argv[2] ?? "parley";
const count = Number(process.argv[3] ?? 2000);
const WARM = Number(process.env.WARM ?? 500);

const dir = mkdtempSync(join(tmpdir(), "parley-instr-"));
const out = join(dir, "callgrind.out");
const port = await freePort();
// Parley as the bench starts it (`SERVERS[...].command`: its launchers' Node flags, tsx, the bench limits), with
// no heartbeat: its pings come by the wall clock, which valgrind and a loaded machine stretch.
const command =
  which === "naive"
    ? SERVERS["ws-naive"].command(port, dir, "text")
    : [
        ...SERVERS[which === "parley-sqlite" ? "parley-sqlite" : "parley-memory"].command(port, dir, "text"),
        "--heartbeat-ms",
        "0",
      ];
const { child, control } = underCallgrind(command, out);
const recorder = new Recorder();
const dial = async (n: number, from: number) => {
  const opened = await connectMany(n, 20, (i) => ({
    port,
    path: which === "naive" ? `/r${Math.floor((from + i) / 10)}` : `/chat/r${Math.floor((from + i) / 10)}`,
    dialect: "ws",
    recorder,
  }));
  if (opened.failed > 0) throw new Error(`${opened.failed} of ${n} handshakes failed`);
  return opened.clients;
};
/** Inclusive instructions of a function in the dump holding `ir` in all (0 when callgrind_annotate is absent). */
const inclusive = (ir: number, pattern: RegExp): number => {
  const dumps = spawnSync("sh", ["-c", `ls ${out}*`], { encoding: "utf8" })
    .stdout.split("\n")
    .filter(Boolean);
  for (const dump of dumps) {
    const annotated = spawnSync("callgrind_annotate", ["--inclusive=yes", "--threshold=100", dump], {
      encoding: "utf8",
      maxBuffer: 1 << 28,
    }).stdout;
    if (!annotated?.includes(ir.toLocaleString("en-US"))) continue;
    for (const line of annotated.split("\n")) {
      if (pattern.test(line)) return Number(line.trim().split(" ")[0]?.replaceAll(",", "") ?? 0);
    }
  }
  return 0;
};
const split = (ir: number, n: number): string => {
  const workers = inclusive(ir, /PlatformWorkerThread\(void\*\)/);
  const gc = inclusive(ir, /Heap::CollectGarbage\(v8::internal::AllocationSpace, [^)]*\) \[/);
  const k = (v: number) => (v / n / 1000).toFixed(1);
  return `worker threads ${k(workers)} k, main-thread GC ${k(gc)} k, the main thread's own work ${k(ir - workers - gc)} k`;
};

try {
  const deadline = Date.now() + 300_000;
  let warm: Awaited<ReturnType<typeof dial>> | undefined;
  while (!warm) {
    try {
      warm = await dial(WARM, 0);
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(2000);
    }
  }
  await sleep(2000);
  control("-i", "on");
  const clients = await dial(count, WARM);
  await sleep(2000);
  control("-d");
  control("-i", "off");
  // The dump's "summary:" / "totals:" line is the instructions counted while instrumentation was on.
  const dumps = spawnSync("sh", ["-c", `cat ${out}*`], { encoding: "utf8" }).stdout;
  const totals = [...dumps.matchAll(/^(?:summary|totals): (\d+)/gm)].map((m) => Number(m[1]));
  const ir = Math.max(...totals);
  process.stdout.write(`${which}: ${(ir / count / 1000).toFixed(1)} k instructions per handshake (${count})\n`);
  process.stdout.write(`  ${split(ir, count)}\n`);
  for (const c of [...warm, ...clients]) c.destroy();
} finally {
  child.kill("SIGKILL");
  if (process.env.CALLGRIND_KEEP) spawnSync("sh", ["-c", `cp ${out}* ${process.env.CALLGRIND_KEEP}/`]);
  rmSync(dir, { recursive: true, force: true });
}
process.exit(0);
