/**
 * Counts a server's write system calls over a measuring window with perf's syscall tracepoints
 * (software events: they work where hardware counters do not). Only the main thread is counted:
 * it is where every server here writes to its sockets (Parley's SQLite writer thread writes files).
 */
import { spawn } from "node:child_process";

const EVENTS = ["write", "writev", "sendto", "sendmsg"].map((name) => `syscalls:sys_enter_${name}`);

/**
 * The write calls (write, writev: Node; sendto, sendmsg: Bun's sockets) the thread `tid` makes
 * in the next `ms`; null when perf is missing or may not trace here.
 */
export const countWrites = (tid: number, ms: number): Promise<number | null> =>
  new Promise((done) => {
    let out = "";
    const perf = spawn(
      "perf",
      ["stat", "-x", ",", "-e", EVENTS.join(","), "-t", String(tid), "--", "sleep", String(ms / 1000)],
      {
        stdio: ["ignore", "ignore", "pipe"],
      },
    );
    perf.stderr.on("data", (d: Buffer) => {
      out += d.toString();
    });
    perf.once("error", () => done(null));
    perf.once("close", (code) => {
      if (code !== 0) return done(null);
      let total = 0;
      let seen = 0;
      // `-x ,` lines: count,unit,event,... ("<not counted>" or "<not supported>" in place of a count)
      for (const line of out.split("\n")) {
        const [count, , event] = line.split(",");
        if (!event?.startsWith("syscalls:")) continue;
        // "<not counted>": the thread did not run in the window, so it made no call.
        const n = count === "<not counted>" ? 0 : Number(count);
        if (!Number.isFinite(n)) return done(null);
        total += n;
        seen++;
      }
      done(seen === EVENTS.length ? total : null);
    });
  });
