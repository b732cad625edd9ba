import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import {
  createTestDatabase,
  postgresMissing,
  REDIS_URL,
  redisMissing,
  redisPrefix,
  skipReason,
  type TestDatabase,
} from "../helpers/engines.ts";
import { RUN_SOURCES } from "../helpers/lines.ts";
import { tempDir } from "../helpers/parley.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));
const recorder = fileURLToPath(new URL("../fixtures/loaded-packages.mjs", import.meta.url));

/**
 * Runs `parley ARGS` as a user would (bin/parley.js), waits until it serves, stops it with SIGTERM and
 * answers the packages it had loaded by then.
 */
const packagesLoadedBy = (args: string[]): Promise<string[]> =>
  new Promise((resolve, reject) => {
    const list = join(tempDir(), "loaded.json");
    const child = spawn(
      process.execPath,
      [
        ...RUN_SOURCES,
        "--import",
        recorder,
        "bin/parley.js",
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--ws-port",
        "0",
        ...args,
      ],
      { cwd: root, env: { ...process.env, PARLEY_LOADED_PACKAGES: list }, stdio: ["ignore", "pipe", "pipe"] },
    );
    let out = "";
    let stopping = false;
    const collect = (chunk: Buffer) => {
      out += chunk.toString();
      const port = /page on http:\/\/[^:]+:(\d+)\//.exec(out)?.[1];
      if (!port || stopping) return;
      stopping = true;
      // Once it answers a request it serves (and handles SIGTERM): stop it the way an operator does.
      void fetch(`http://127.0.0.1:${port}/readyz`).finally(() => child.kill("SIGTERM"));
    };
    child.stdout.on("data", collect);
    child.stderr.on("data", collect);
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    child.on("exit", (code) => {
      clearTimeout(timer);
      if (code !== 0) reject(new Error(`parley ${args.join(" ")} exited with ${code}: ${out}`));
      else resolve(JSON.parse(readFileSync(list, "utf8")) as string[]);
    });
  });

// sharp (libvips) is loaded on the first image uploaded, never at start.
const DRIVERS = ["better-sqlite3", "pg", "ioredis", "sharp"];
const driversIn = (packages: string[]): string[] => DRIVERS.filter((name) => packages.includes(name));

describe("engines load only the driver they use", async () => {
  const reason = await skipReason(postgresMissing, redisMissing);
  let db: TestDatabase;
  let keys: ReturnType<typeof redisPrefix>;
  before(async () => {
    if (reason) return;
    db = await createTestDatabase();
    keys = redisPrefix();
  });
  after(async () => {
    if (reason) return;
    await db.drop();
    await keys.clean();
  });

  test("a PostgreSQL and Redis node never loads better-sqlite3", { skip: reason }, async () => {
    const loaded = await packagesLoadedBy(["--store", db.url, "--redis", REDIS_URL, "--redis-prefix", keys.prefix]);
    assert.deepEqual(driversIn(loaded), ["pg", "ioredis"]);
  });

  test("an embedded SQLite node loads better-sqlite3 and neither pg nor ioredis", async () => {
    assert.deepEqual(driversIn(await packagesLoadedBy(["--data-dir", tempDir()])), ["better-sqlite3"]);
  });

  test("a memory node loads no driver", async () => {
    assert.deepEqual(driversIn(await packagesLoadedBy(["--store", "memory"])), []);
  });
});
