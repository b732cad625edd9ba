import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { ROOT } from "../lib/servers.ts";

/**
 * A server under `valgrind --tool=callgrind`, instrumentation off until the tool turns it on
 * (`control("-i", "on")`): the connect and many-rooms instruction counters share this.
 */
export const underCallgrind = (
  command: string[],
  outFile: string,
): { child: ChildProcess; pid: number; control: (...args: string[]) => ReturnType<typeof spawnSync> } => {
  const child = spawn(
    "valgrind",
    ["--tool=callgrind", "--instr-atstart=no", `--callgrind-out-file=${outFile}`, ...command],
    {
      cwd: ROOT,
      stdio: ["ignore", "ignore", "pipe"],
      env: { ...process.env, NODE_ENV: "production" },
    },
  );
  const pid = child.pid as number;
  const control = (...args: string[]) => spawnSync("callgrind_control", [...args, String(pid)], { encoding: "utf8" });
  return { child, pid, control };
};
