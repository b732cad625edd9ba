import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, test } from "node:test";
import { SqliteStore } from "../../src/store/sqlite.ts";
import { connect } from "../helpers/client.ts";
import { connectJson, ofType } from "../helpers/json.ts";
import { captureLogs } from "../helpers/logs.ts";
import { startTestParley, tempDir } from "../helpers/parley.ts";

const until = async (check: () => boolean, what: string): Promise<void> => {
  for (let i = 0; i < 250 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 20));
  assert.ok(check(), `timed out waiting for ${what}`);
};

describe("structured logs", () => {
  test("one JSON line per open and close (with code and reason), one per error, never a message's text", async () => {
    const log = captureLogs();
    const dir = tempDir();
    const store = new SqliteStore({
      file: join(dir, "parley.db"),
      retention: { maxMessagesPerRoom: 0, maxAgeMs: 0 },
      synchronous: "normal",
    });
    const parley = await startTestParley({ logLevel: "info" }, { logStream: log.stream, store });
    const secrets = ["secret text 8f3a0c", "secret line 91bd77", "after the store went 5c2e"];
    try {
      const base = `ws://127.0.0.1:${parley.wsPort}/chat/logged`;
      const json = await connectJson(base);
      await json.untilJoined("logged");
      const text = await connect(base);
      json.send({ type: "send", text: secrets[0], cid: "s1" });
      await json.expect(ofType("ack", { cid: "s1" }));
      text.send(secrets[1] as string);
      await text.nextMatching((f) => f.endsWith(secrets[1] as string));
      await text.close();
      await until(() => log.lines().some((l) => l.event === "close"), "the close line");

      await store.close();
      json.send({ type: "send", text: secrets[2], cid: "s2" });
      assert.equal((await json.expect(ofType("error", { cid: "s2" }))).code, "store_unavailable");
      await until(() => log.lines().some((l) => l.event === "store_error"), "the error line");
      await json.close();
      await until(() => log.lines().filter((l) => l.event === "close").length === 2, "both close lines");
    } finally {
      await parley.close();
    }

    const lines = log.lines();
    const opens = lines.filter((l) => l.event === "open");
    assert.equal(opens.length, 2);
    assert.deepEqual(opens.map((l) => l.mode).sort(), ["json", "text"]);
    for (const open of opens) {
      assert.equal(open.level, 30, "info");
      assert.equal(open.room, "logged");
      assert.equal(open.ip, "127.0.0.1");
      assert.equal(typeof open.time, "string");
    }
    const closes = lines.filter((l) => l.event === "close");
    assert.equal(closes.length, 2);
    for (const close of closes) {
      assert.equal(close.code, 1005, "the test client closes without a code");
      assert.equal(close.reason, "normal");
      assert.equal(close.by, "client");
      assert.ok(
        opens.some((o) => o.conn === close.conn),
        "a close names the connection its open did",
      );
    }
    const errors = lines.filter((l) => l.event === "store_error");
    assert.equal(errors.length, 1);
    assert.equal(errors[0]?.level, 50, "error");
    assert.equal(errors[0]?.operation, "append");
    for (const secret of secrets) {
      assert.ok(!log.raw.some((line) => line.includes(secret)), `"${secret}" never reaches the log`);
    }
  });

  test("--log-level warn leaves out the info lines", async () => {
    const log = captureLogs();
    const parley = await startTestParley({ logLevel: "warn" }, { logStream: log.stream });
    try {
      const client = await connect(`ws://127.0.0.1:${parley.wsPort}/`);
      client.send("hi");
      await client.next();
      await client.close();
    } finally {
      await parley.close();
    }
    assert.deepEqual(log.lines(), []);
  });
});
