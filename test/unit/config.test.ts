import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { ConfigError, configFrom, helpText, loadConfig } from "../../src/config.ts";
import { SETTINGS } from "../../src/settings.ts";
import { CONNECT_USAGE } from "../../src/terminal/connect.ts";
import { tempDir } from "../helpers/parley.ts";

const configFile = (content: unknown): string => {
  const file = join(tempDir("parley-config-"), "parley.json");
  writeFileSync(file, typeof content === "string" ? content : JSON.stringify(content));
  return file;
};

const refused = (run: () => unknown, message: RegExp) =>
  assert.throws(run, (error: unknown) => error instanceof ConfigError && message.test(error.message));

describe("configuration: defaults < file < environment < flags", () => {
  test("each source overrides the one before it, key by key", () => {
    const file = configFile({ port: 9000, "ws-port": 9001, history: 7, "log-level": "warn" });
    const config = loadConfig(["--config", file, "--port", "9100"], { PARLEY_WS_PORT: "9201", PARLEY_PORT: "9200" });
    assert.equal(config.port, 9100, "flag over env over file");
    assert.equal(config.wsPort, 9201, "env over file");
    assert.equal(config.historyLimit, 7, "file over default");
    assert.equal(config.logLevel, "warn");
    assert.equal(config.maxRooms, 50, "default");
    assert.equal(config.config, file);
  });

  test("PARLEY_CONFIG names the file too; --config wins over it", () => {
    const a = configFile({ history: 11 });
    const b = configFile({ history: 22 });
    assert.equal(loadConfig([], { PARLEY_CONFIG: a }).historyLimit, 11);
    assert.equal(loadConfig([`--config=${b}`], { PARLEY_CONFIG: a }).historyLimit, 22);
  });

  test("an unknown key in the file is refused, naming it", () => {
    refused(() => loadConfig(["--config", configFile({ port: 1, colour: "red" })], {}), /unknown key "colour"/);
    refused(() => loadConfig(["--config", configFile({ wsPort: 1 })], {}), /unknown key "wsPort"/);
    refused(() => loadConfig(["--config", configFile({ config: "other.json" })], {}), /unknown key "config"/);
  });

  test("a value of the wrong type or out of range is refused, naming the key", () => {
    refused(() => loadConfig(["--config", configFile({ port: "8080" })], {}), /"port" must be a number/);
    refused(() => loadConfig(["--config", configFile({ host: 1 })], {}), /"host" must be a string/);
    refused(() => loadConfig(["--config", configFile({ port: 70000 })], {}), /"port": "70000" is not a whole number/);
    refused(
      () => loadConfig(["--config", configFile({ "log-level": "loud" })], {}),
      /"log-level": "loud" is not one of fatal/,
    );
    refused(() => loadConfig([], { PARLEY_LOG_LEVEL: "loud" }), /PARLEY_LOG_LEVEL/);
  });

  test("a file that is missing, not JSON, or not an object is refused with its name", () => {
    const dir = tempDir("parley-config-");
    refused(() => loadConfig(["--config", join(dir, "nope.json")], {}), /nope\.json: cannot be read \(ENOENT\)/);
    refused(() => loadConfig(["--config", configFile("{port: 1")], {}), /parley\.json: not valid JSON/);
    refused(() => loadConfig(["--config", configFile([1, 2])], {}), /must be a JSON object/);
  });

  test("a file with several mistakes lists every one of them, one per line", () => {
    const file = configFile({ port: "8080", colour: "red", "log-level": "loud", history: 5 });
    assert.throws(
      () => loadConfig(["--config", file], {}),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.message.split("\n").length === 3 &&
        /"port" must be a number/.test(error.message) &&
        /unknown key "colour"/.test(error.message) &&
        /"log-level": "loud" is not one of/.test(error.message),
    );
  });

  test("the same port for the page and the Cookbook is refused before anything listens, in every source", () => {
    refused(() => loadConfig(["--port", "9000", "--ws-port", "9000"], {}), /port and ws-port are both 9000/);
    refused(() => loadConfig([], { PARLEY_PORT: "12345" }), /port and ws-port are both 12345/);
    refused(() => configFrom({ port: 7000, wsPort: 7000 }), /port and ws-port are both 7000/);
    assert.equal(loadConfig(["--port", "0", "--ws-port", "0"], {}).port, 0, "0 twice: two free ports");
  });

  test("startParley's options are checked like the file's values", () => {
    assert.equal(configFrom({ port: 0, historyLimit: 7 }).historyLimit, 7);
    refused(() => configFrom({ port: "80" } as never), /option "port" must be a number/);
    refused(() => configFrom({ colour: "red" } as never), /unknown option "colour"/);
  });

  test("--help and parley connect --help fit 80 columns", () => {
    for (const text of [helpText(), CONNECT_USAGE]) {
      const wide = text.split("\n").filter((line) => line.length > 80);
      assert.deepEqual(wide, []);
    }
  });

  test("the admin token must be long, and a bad one is never echoed", () => {
    refused(() => loadConfig(["--admin-token", "tiny-secret"], {}), /admin-token: must be at least 16/);
    try {
      loadConfig(["--config", configFile({ "admin-token": 12345 })], {});
      assert.fail("a number is not a token");
    } catch (error) {
      assert.ok(error instanceof ConfigError);
      assert.ok(!error.message.includes("12345"));
    }
    assert.equal(loadConfig([], { PARLEY_ADMIN_TOKEN: "a-long-enough-token" }).adminToken, "a-long-enough-token");
  });
});

describe("the README's settings table", () => {
  test("has one row per setting, with its flag, env and default, in the table's order", () => {
    const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
    const rows = readme.split("\n").filter((line) => /^\| `--/.test(line));
    const flags = rows.map((row) => /^\| `--([a-z-]+)`/.exec(row)?.[1]);
    assert.deepEqual(
      flags,
      SETTINGS.map((s) => s.flag),
    );
    for (const [i, s] of SETTINGS.entries()) {
      const cells = (rows[i] as string).split("|").map((c) => c.trim());
      assert.equal(cells[2], `\`${s.env}\``, `${s.flag}: env`);
      assert.equal(cells[3], s.default === "" ? "(none)" : `\`${s.default}\``, `${s.flag}: default`);
    }
  });
});
