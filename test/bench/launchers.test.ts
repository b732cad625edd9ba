import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { PARLEY_NODE_FLAGS, ROOT } from "../../bench/lib/servers.ts";

const launcher = (): string => readFileSync(join(ROOT, "bin/parley.js"), "utf8");
const startScript = (): string =>
  (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts.start ??
  "";

test("the bench runs Parley with the Node flags its launchers give it", () => {
  assert.ok(PARLEY_NODE_FLAGS.length > 0);
  for (const flag of PARLEY_NODE_FLAGS) {
    // bin/parley.js starts itself again with the flag (V8 reads it only at start).
    assert.ok(launcher().includes(`"${flag}"`), `bin/parley.js does not give ${flag}`);
    assert.ok(startScript().split(" ").includes(flag), `npm start: ${startScript()}`);
  }
});

test("bin/parley.js runs through its own first line, as an installed command does", () => {
  const run = spawnSync(join(ROOT, "bin/parley.js"), ["--version"], { cwd: ROOT, encoding: "utf8", timeout: 30_000 });
  assert.equal(run.status, 0, run.stderr);
  const { version } = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string };
  assert.match(run.stdout, new RegExp(version.replaceAll(".", "\\.")));
});
