import assert from "node:assert/strict";
import { test } from "node:test";
import { captureLogs } from "../helpers/logs.ts";
import { startTestParley } from "../helpers/parley.ts";

const SECRET = "a-test-secret-that-is-long-enough-for-hs256-000";

const warnings = async (overrides: Parameters<typeof startTestParley>[0]): Promise<string[]> => {
  const log = captureLogs();
  const parley = await startTestParley({ logLevel: "warn", ...overrides }, { logStream: log.stream });
  await parley.close();
  return log
    .lines()
    .filter((line) => line.event === "auth_without_sign_in")
    .map((line) => line.msg);
};

test("--auth required without --auth-token-url warns at start that the page has no way to sign in", async () => {
  const said = await warnings({ auth: "required", authSecret: SECRET });
  assert.equal(said.length, 1);
  assert.match(said[0] ?? "", /the page has no way to sign in; only links with #token=… get in/);
});

test("no such warning with a token URL, or when anonymous visitors are let in", async () => {
  assert.deepEqual(
    await warnings({ auth: "required", authSecret: SECRET, authTokenUrl: "http://127.0.0.1:9/token" }),
    [],
  );
  assert.deepEqual(await warnings({ auth: "optional", authSecret: SECRET }), []);
});
