import { type Child, RUN_SOURCES, runNode } from "./lines.ts";

/** Runs examples/auth-backend.ts on a free port with these settings (added to this process's env). */
export const startAuthBackend = async (env: Record<string, string>): Promise<{ child: Child; base: string }> => {
  const saved = { ...process.env };
  Object.assign(process.env, { PORT: "0", ...env });
  const child = runNode([...RUN_SOURCES, "examples/auth-backend.ts"]);
  process.env = saved;
  const line = await child.line("stdout", /^auth backend on port \d+/);
  return { child, base: `http://127.0.0.1:${line.split(" ").at(-1)}` };
};

/** Stops it as a person would (SIGTERM) and resolves with its exit code. */
export const stopAuthBackend = (child: Child): Promise<number | null> => {
  child.proc.kill("SIGTERM");
  return child.exited;
};
