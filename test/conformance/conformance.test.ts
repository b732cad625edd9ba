import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { loadConfig } from "../../src/config.ts";
import { startTestParley } from "../helpers/parley.ts";

const script = fileURLToPath(new URL("./rfc6455.py", import.meta.url));

interface Report {
  cases: Array<{ id: string; title: string; ok: boolean; detail?: string }>;
  passed: number;
  failed: number;
}

/** Debian's python3 first: a pyenv or venv python on PATH may lack the Debian package. */
const findPython = (): string | undefined =>
  ["/usr/bin/python3", "python3"].find(
    (python) => spawnSync(python, ["-c", "import websockets.client, websockets.frames"]).status === 0,
  );

const python = findPython();
if (!python) {
  console.log(
    "\n#\n# !!! RFC 6455 CONFORMANCE SKIPPED: python3-websockets is not installed (apt-get install -y python3-websockets)\n#\n",
  );
}

describe("RFC 6455 conformance, driven by Python's websockets", { timeout: 120_000 }, () => {
  test("every case passes against Parley's defaults", {
    skip: python ? false : "python3-websockets missing",
  }, async () => {
    const defaults = loadConfig([], {});
    const parley = await startTestParley({ rateLimit: defaults.rateLimit, rateBurst: defaults.rateBurst });
    try {
      const url = `ws://127.0.0.1:${parley.wsPort}/`;
      const child = spawn(python as string, ["-B", script, url, String(defaults.maxPayload)], {
        stdio: ["ignore", "pipe", "pipe"],
      });
      let out = "";
      let err = "";
      child.stdout.on("data", (chunk: Buffer) => {
        out += chunk.toString();
      });
      child.stderr.on("data", (chunk: Buffer) => {
        err += chunk.toString();
      });
      const timer = setTimeout(() => child.kill("SIGKILL"), 100_000);
      await new Promise((resolve) => child.on("close", resolve));
      clearTimeout(timer);
      assert.ok(out.startsWith("{"), `the suite did not report: ${err.slice(0, 2000)}`);
      const report = JSON.parse(out) as Report;
      const failures = report.cases.filter((c) => !c.ok).map((c) => `${c.id} ${c.title}: ${c.detail}`);
      console.log(
        `# RFC 6455 conformance: ${report.cases.length} cases, ${report.passed} passed, ${report.failed} failed`,
      );
      assert.deepEqual(failures, []);
      assert.ok(report.cases.length >= 100, `only ${report.cases.length} cases ran`);
    } finally {
      await parley.close();
    }
  });
});
