import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/**
 * Node's flags for a child that runs the TypeScript sources as the tests do (scripts/test.mjs): Node strips the types
 * itself, and parley-client resolves to packages/client/src through its package's "parley-source" condition.
 */
export const RUN_SOURCES = ["--conditions=parley-source"];

/** A child process whose output is read line by line, like a person watching a terminal. */
export interface Child {
  readonly proc: ChildProcessWithoutNullStreams;
  readonly stdout: string[];
  readonly stderr: string[];
  /** The `nth` line (counting from the start of the stream) matching `pattern`, waiting for it if needed. */
  line(stream: "stdout" | "stderr", pattern: RegExp, nth?: number, timeoutMs?: number): Promise<string>;
  write(line: string): void;
  end(): void;
  /** Resolves with the exit code. */
  readonly exited: Promise<number | null>;
}

/** Runs `node <args>` from the repository root, or `command <args>` where `at` says. */
export const runNode = (
  args: string[],
  at: { command?: string; cwd?: string; env?: NodeJS.ProcessEnv; detached?: boolean } = {},
): Child => {
  const proc = spawn(at.command ?? process.execPath, args, {
    cwd: at.cwd ?? ROOT,
    detached: at.detached ?? false,
    env: { ...process.env, NO_COLOR: "1", ...at.env },
  });
  const lines = { stdout: [] as string[], stderr: [] as string[] };
  const waiters = new Set<() => void>();
  for (const stream of ["stdout", "stderr"] as const) {
    let partial = "";
    proc[stream].setEncoding("utf8");
    proc[stream].on("data", (chunk: string) => {
      const parts = (partial + chunk).split("\n");
      partial = parts.pop() ?? "";
      lines[stream].push(...parts);
      for (const wake of [...waiters]) wake();
    });
  }
  const exited = new Promise<number | null>((resolve) => proc.on("exit", (code) => resolve(code)));
  return {
    proc,
    stdout: lines.stdout,
    stderr: lines.stderr,
    exited,
    write: (line) => proc.stdin.write(`${line}\n`),
    end: () => proc.stdin.end(),
    line: (stream, pattern, nth = 1, timeoutMs = 20_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const found = lines[stream].filter((l) => pattern.test(l))[nth - 1];
          if (found === undefined) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(found);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(
              `no ${stream} line matching ${pattern}; stdout ${JSON.stringify(lines.stdout.slice(-8))}, stderr ${JSON.stringify(lines.stderr.slice(-8))}`,
            ),
          );
        }, timeoutMs);
        waiters.add(check);
        check();
      }),
  };
};
