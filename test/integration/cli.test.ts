import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { describe, test } from "node:test";
import { runParleyCommand, spawnParley } from "../helpers/child.ts";
import { connect } from "../helpers/client.ts";
import { tempDir } from "../helpers/parley.ts";

const bin = runParleyCommand;

describe("the parley command", () => {
  test("--help explains the ports, the bind address and their environment variables", () => {
    // As a clone's user runs it: plain `node bin/parley.js`, no flag, so the sources go through tsx (the other
    // tests give Node the flag that lets it run them itself: test/helpers/lines.ts).
    const result = spawnSync(process.execPath, ["bin/parley.js", "--help"], {
      cwd: new URL("../../", import.meta.url),
      encoding: "utf8",
      timeout: 20000,
    });
    assert.equal(result.status, 0);
    for (const word of [
      "--port",
      "--ws-port",
      "--host",
      "PARLEY_PORT",
      "PARLEY_WS_PORT",
      "PARLEY_HOST",
      "12345",
      "8080",
    ]) {
      assert.ok(result.stdout.includes(word), `--help mentions ${word}`);
    }
  });

  test("a bad flag or value is refused with a message naming it, exit code 2", () => {
    const unknown = bin(["--colour", "red"]);
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /--colour/);
    const badPort = bin(["--port", "99999"]);
    assert.equal(badPort.status, 2);
    assert.match(badPort.stderr, /--port: "99999"/);
    const badEnv = bin([], { PARLEY_WS_PORT: "twelve" });
    assert.equal(badEnv.status, 2);
    assert.match(badEnv.stderr, /PARLEY_WS_PORT/);
  });

  test("environment sets what flags do not; the server it starts chats", async () => {
    const parley = await spawnParley(["--data-dir", tempDir()], { PARLEY_HISTORY: "5" });
    try {
      const client = await connect(`ws://127.0.0.1:${parley.wsPort}/`);
      client.send("hello");
      assert.match(await client.next(), /^user-\d+: hello$/);
      await client.close();
    } finally {
      parley.child.kill("SIGKILL");
      await parley.exited;
    }
  });

  /** The command line the server started by `parley` (bin/parley.js) runs with, read once it serves. */
  const servingCommandLine = async (env: NodeJS.ProcessEnv, oneCore = false): Promise<string[]> => {
    const args = ["bin/parley.js", "--host", "127.0.0.1", "--port", "0", "--ws-port", "0", "--store", "memory"];
    const child = spawn(
      oneCore ? "taskset" : process.execPath,
      oneCore ? ["-c", "0", process.execPath, ...args] : args,
      { cwd: new URL("../../", import.meta.url), env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] },
    );
    const exited = new Promise((done) => child.once("exit", done));
    try {
      let out = "";
      await new Promise<void>((done, fail) => {
        const timer = setTimeout(() => fail(new Error(`Parley did not start: ${out}`)), 30_000);
        const onData = (chunk: Buffer) => {
          out += chunk.toString();
          if (/WebSocket on ws:/.test(out)) {
            clearTimeout(timer);
            done();
          }
        };
        child.stdout.on("data", onData);
        child.stderr.on("data", onData);
      });
      return readFileSync(`/proc/${child.pid}/cmdline`, "utf8").split("\0");
    } finally {
      child.kill("SIGKILL");
      await exited;
    }
  };

  test("the server runs with an 8 MB young generation (short GC pauses), unless NODE_OPTIONS sets its size", {
    skip: !existsSync("/proc/self/cmdline") && "needs /proc",
  }, async () => {
    const tuned = await servingCommandLine({ NODE_OPTIONS: "" });
    assert.ok(tuned.includes("--max-semi-space-size=8"), tuned.join(" "));
    assert.ok(
      tuned.some((a) => a.endsWith("bin/parley.js")),
      tuned.join(" "),
    );
    const chosen = await servingCommandLine({ NODE_OPTIONS: "--max-semi-space-size=16" });
    assert.ok(!chosen.some((a) => a.startsWith("--max-semi-space-size")), chosen.join(" "));
  });

  test("on one core the server runs its GC on the main thread; with more, V8's helper threads stay", {
    skip: (!existsSync("/proc/self/cmdline") || !existsSync("/usr/bin/taskset")) && "needs /proc and taskset",
  }, async () => {
    const oneCore = await servingCommandLine({ NODE_OPTIONS: "" }, true);
    assert.ok(oneCore.includes("--single-threaded-gc"), oneCore.join(" "));
    if (availableParallelism() > 1) {
      const more = await servingCommandLine({ NODE_OPTIONS: "" });
      assert.ok(!more.includes("--single-threaded-gc"), more.join(" "));
    }
  });
});
