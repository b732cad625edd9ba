import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { RUN_SOURCES } from "./lines.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));

/** Runs `parley ARGS` (the package's bin) to the end, as a user would from a shell. */
export const runParleyCommand = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  spawnSync(process.execPath, [...RUN_SOURCES, "bin/parley.js", ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    encoding: "utf8",
    timeout: 20000,
  });

export interface ChildParley {
  readonly child: ChildProcess;
  readonly port: number;
  readonly wsPort: number;
  /** Resolves with the exit code (or signal name) when the process ends. */
  readonly exited: Promise<number | string>;
  output(): string;
}

/**
 * Parley as a real separate process (for kill -9 and signal tests), on ephemeral ports. It runs
 * src/cli.ts directly, unless `asParley`: then bin/parley.js, the `parley` command, which starts
 * itself again (same pid) with its V8 flags, as in production; a test of memory wants that.
 * `openFiles`: the process's descriptor limit (`ulimit -n`), set by a shell before Node starts.
 */
export const spawnParley = (
  args: string[],
  env: NodeJS.ProcessEnv = {},
  { asParley = false, openFiles }: { asParley?: boolean; openFiles?: number } = {},
): Promise<ChildParley> =>
  new Promise((resolve, reject) => {
    const command =
      openFiles === undefined
        ? [process.execPath]
        : ["sh", "-c", `ulimit -n ${openFiles} && exec "$0" "$@"`, process.execPath];
    const child = spawn(
      command[0] as string,
      // No rate limit unless the test sets one (a later flag wins): tests send bursts.
      [
        ...command.slice(1),
        ...RUN_SOURCES,
        asParley ? "bin/parley.js" : "src/cli.ts",
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--ws-port",
        "0",
        "--rate-limit",
        "0",
        ...args,
      ],
      { cwd: root, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] },
    );
    let out = "";
    const exited = new Promise<number | string>((done) => {
      child.on("exit", (code, signal) => done(code ?? signal ?? -1));
    });
    // Generous: starting took over 15 s on a machine loaded by other work; the start's speed is not tested here.
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`Parley did not start: ${out}`));
    }, 30_000);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const match = /page on http:\/\/[^:]+:(\d+)\/.*WebSocket on ws:\/\/[^:]+:(\d+)\//.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve({ child, port: Number(match[1]), wsPort: Number(match[2]), exited, output: () => out });
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", (chunk: Buffer) => {
      out += chunk.toString();
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`Parley exited (${code}) before starting: ${out}`));
    });
  });
