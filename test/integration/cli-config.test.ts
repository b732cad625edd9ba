import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { SETTINGS } from "../../src/settings.ts";
import { runParleyCommand, spawnParley } from "../helpers/child.ts";
import { handshake } from "../helpers/handshake.ts";
import { tempDir } from "../helpers/parley.ts";
import { hsToken } from "../helpers/tokens.ts";

const bin = runParleyCommand;

describe("the parley command: settings", () => {
  test("--help lists every setting with its flag, environment variable and default", () => {
    const result = bin(["--help"]);
    assert.equal(result.status, 0);
    for (const s of SETTINGS) {
      const at = result.stdout.indexOf(`\n  --${s.flag} `);
      assert.ok(at >= 0, `--help lists --${s.flag}`);
      const entry = result.stdout.slice(at, result.stdout.indexOf("\n  --", at + 1));
      assert.ok(entry.includes(s.env), `--${s.flag}: its env ${s.env}`);
      assert.ok(entry.includes(`default ${s.default === "" ? "(none)" : s.default}`), `--${s.flag}: its default`);
    }
  });

  test("a bad config file stops the start with the bad key named, exit code 2", () => {
    const file = join(tempDir(), "parley.json");
    writeFileSync(file, JSON.stringify({ port: 0, "max-romos": 5 }));
    const unknown = bin([], { PARLEY_CONFIG: file }); // wrong types: test/unit/config.test.ts
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /unknown key "max-romos"/);
  });

  test("a config file sets the server up; every stdout line is a JSON log line", async () => {
    const file = join(tempDir(), "parley.json");
    writeFileSync(file, JSON.stringify({ "data-dir": tempDir(), "log-level": "info", store: "memory" }));
    const parley = await spawnParley(["--config", file]);
    try {
      const health = await fetch(`http://127.0.0.1:${parley.port}/readyz`);
      assert.equal(health.status, 200);
    } finally {
      parley.child.kill("SIGTERM");
      await parley.exited;
    }
    const lines = parley.output().trim().split("\n");
    const parsed = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.ok(parsed.some((l) => l.event === "listening" && l.port === parley.port));
    assert.ok(parsed.some((l) => l.event === "shutdown" && l.signal === "SIGTERM"));
  });
  test("auth settings that cannot work together stop the start with the setting named, exit code 2", () => {
    const noKey = bin(["--auth", "required", "--data-dir", tempDir()]);
    assert.equal(noKey.status, 2);
    assert.match(noKey.stderr, /--auth required needs --auth-secret/);
    const shortSecret = bin(["--data-dir", tempDir()], { PARLEY_AUTH_SECRET: "too-short" });
    assert.equal(shortSecret.status, 2);
    assert.match(shortSecret.stderr, /at least 32 bytes/);
    assert.ok(!shortSecret.stderr.includes("too-short"), "the secret is not echoed");
    const privateWithoutAuth = bin(["--private-rooms", "ops", "--data-dir", tempDir()]);
    assert.match(privateWithoutAuth.stderr, /--private-rooms needs signed tokens/);
    const badMode = bin(["--auth", "maybe"]);
    assert.equal(badMode.status, 2);
    assert.match(badMode.stderr, /--auth: "maybe" is not one of auto, off, optional, required/);
  });

  test("private rooms and the auth secret from the config file", async () => {
    const file = join(tempDir(), "parley.json");
    const secret = "a-secret-of-at-least-32-bytes-0123456789";
    writeFileSync(file, JSON.stringify({ "data-dir": tempDir(), "auth-secret": secret, "private-rooms": "ops, hr" }));
    const parley = await spawnParley(["--config", file]);
    try {
      const page = `ws://127.0.0.1:${parley.port}`;
      assert.equal((await handshake(`${page}/chat/ops`)).status, 401, "private: a token is needed");
      assert.equal((await handshake(`${page}/chat/hr`)).status, 401);
      assert.equal((await handshake(`${page}/chat/lobby`)).status, 101, "public rooms stay open (auth optional)");
      const granted = await hsToken(secret, { sub: "u-1", name: "ann", rooms: ["ops"] });
      assert.equal((await handshake(`${page}/chat/ops?token=${granted}`)).status, 101);
    } finally {
      parley.child.kill("SIGTERM");
    }
  });
});
