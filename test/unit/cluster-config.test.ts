import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ConfigError, helpText, loadConfig } from "../../src/config.ts";
import { createEngines, storeKind } from "../../src/engines.ts";

describe("cluster settings", () => {
  test("REDIS_URL and DATABASE_URL are read, PARLEY_* and flags win", () => {
    const env = { REDIS_URL: "redis://r:1", DATABASE_URL: "postgres://d/1" };
    const config = loadConfig([], env);
    assert.equal(config.redis, "redis://r:1");
    assert.deepEqual(storeKind(config), { kind: "postgres", url: "postgres://d/1" });
    assert.equal(loadConfig([], { ...env, PARLEY_REDIS: "redis://p:2" }).redis, "redis://p:2");
    assert.equal(loadConfig(["--redis", "redis://f:3"], env).redis, "redis://f:3");
    assert.deepEqual(storeKind(loadConfig(["--store", "sqlite"], env)), { kind: "sqlite", url: "" });
    assert.deepEqual(storeKind(loadConfig(["--store", "postgresql://x/y"], {})), {
      kind: "postgres",
      url: "postgresql://x/y",
    });
    assert.deepEqual(storeKind(loadConfig([], {})), { kind: "sqlite", url: "" }, "embedded by default");
    assert.match(helpText(), /env PARLEY_REDIS or REDIS_URL/);
  });

  test("an unknown store, or postgres without a URL, is a clear error", () => {
    assert.throws(() => storeKind(loadConfig(["--store", "mysql"], {})), ConfigError);
    assert.throws(() => storeKind(loadConfig(["--store", "postgres"], {})), /DATABASE_URL/);
  });

  test("Redis over a store the nodes do not share is refused", async () => {
    for (const store of ["sqlite", "memory"]) {
      await assert.rejects(
        () => createEngines(loadConfig(["--redis", "redis://127.0.0.1:1", "--store", store], {})),
        (error: unknown) => error instanceof ConfigError && /share their history/.test(error.message),
      );
    }
  });
});
