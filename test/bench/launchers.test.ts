import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { PARLEY_NODE_FLAGS, PINNED, ROOT } from "../../bench/lib/servers.ts";
import { serverFlags } from "../../bin/node-flags.js";

const startScript = (): string =>
  (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts.start ??
  "";

test("the bench runs Parley with the Node flags its launcher gives a server on the bench's one core", () => {
  // The bench pins each server to core 0 (taskset), where bin/parley.js adds the one-core flags too.
  assert.deepEqual(PARLEY_NODE_FLAGS, serverFlags([], PINNED ? 1 : availableParallelism()));
  assert.ok(PARLEY_NODE_FLAGS.includes("--max-semi-space-size=8"), PARLEY_NODE_FLAGS.join(" "));
  if (PINNED) assert.ok(PARLEY_NODE_FLAGS.includes("--single-threaded-gc"), PARLEY_NODE_FLAGS.join(" "));
  // npm start goes through the launcher, so it gets the same flags.
  assert.equal(startScript(), "node bin/parley.js");
});

test("a flag the user set, either way or spelled with underscores, is not added again", () => {
  assert.deepEqual(serverFlags([], 2), ["--max-semi-space-size=8"]);
  assert.deepEqual(serverFlags([], 1), ["--max-semi-space-size=8", "--single-threaded-gc"]);
  assert.deepEqual(serverFlags(["--max-semi-space-size=16"], 1), ["--single-threaded-gc"]);
  assert.deepEqual(serverFlags(["--no-single-threaded-gc", "--max_semi_space_size=4"], 1), []);
  assert.deepEqual(serverFlags(["", "--inspect"], 1), ["--max-semi-space-size=8", "--single-threaded-gc"]);
});

test("bin/parley.js runs through its own first line, as an installed command does", () => {
  const run = spawnSync(join(ROOT, "bin/parley.js"), ["--version"], { cwd: ROOT, encoding: "utf8", timeout: 30_000 });
  assert.equal(run.status, 0, run.stderr);
  const { version } = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string };
  assert.match(run.stdout, new RegExp(version.replaceAll(".", "\\.")));
});
