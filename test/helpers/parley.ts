import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../../src/config.ts";
import type { ParleyDeps } from "../../src/ops.ts";
import { type RunningParley, startParley } from "../../src/server.ts";
import type { ParleyConfig } from "../../src/settings.ts";

/** A fresh data directory under the system temp folder. */
export const tempDir = (prefix = "parley-test-"): string => mkdtempSync(join(tmpdir(), prefix));

/**
 * A real Parley on ephemeral loopback ports, with its own SQLite file unless told otherwise.
 * Logs are silent unless a test asks for a level (and passes `deps.logStream` to read them).
 */
export const startTestParley = async (
  overrides: Partial<ParleyConfig> = {},
  deps: ParleyDeps = {},
): Promise<RunningParley> => {
  const config: ParleyConfig = {
    ...loadConfig([], {}),
    host: "127.0.0.1",
    port: 0,
    wsPort: 0,
    dataDir: tempDir(),
    sqliteSync: "normal",
    // Tests send bursts far past a person's typing speed; the rate limit has its own tests.
    rateLimit: 0,
    logLevel: "silent",
    ...overrides,
  };
  return startParley(config, deps);
};
