import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { CLOSE } from "../../src/protocol/close-codes.ts";
import type { RunningParley } from "../../src/server.ts";
import { connect } from "../helpers/client.ts";
import { handshake } from "../helpers/handshake.ts";
import { connectJson, ofType } from "../helpers/json.ts";
import { captureLogs } from "../helpers/logs.ts";
import { startTestParley } from "../helpers/parley.ts";
import { hsToken, newSecret } from "../helpers/tokens.ts";

const ADMIN = "admin-token-for-tests-0123456789";

describe("private rooms at run time (admin API), metrics and logs", () => {
  const secret = newSecret();
  const log = captureLogs();
  let parley: RunningParley;
  let base: string;
  const admin = async (method: string, path: string, token = ADMIN) => {
    const response = await fetch(`http://127.0.0.1:${parley.port}/admin/api${path}`, {
      method,
      headers: { Authorization: `Bearer ${token}` },
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  before(async () => {
    parley = await startTestParley(
      { authSecret: secret, adminToken: ADMIN, logLevel: "debug" },
      { logStream: log.stream },
    );
    base = `ws://127.0.0.1:${parley.wsPort}`;
  });
  after(() => parley.close());

  test("PUT …/private puts out members not granted it (JSON: forbidden + left; text: 4003); DELETE opens it again", async () => {
    const granted = await connectJson(
      `${base}/chat/board`,
      await hsToken(secret, { sub: "u-g", name: "granted", rooms: ["board"] }),
    );
    const json = await connectJson(`${base}/chat/board`, await hsToken(secret, { sub: "u-n", name: "nogrant" }));
    const text = await connect(`${base}/chat/board`);
    await granted.untilJoined("board");
    await json.untilJoined("board");

    assert.equal((await admin("PUT", "/rooms/board/private", "wrong-token-0123456789")).status, 401);
    const made = await admin("PUT", "/rooms/board/private");
    assert.deepEqual([made.status, made.body], [200, { room: "board", private: true }]);
    assert.equal((await json.expect(ofType("error", { room: "board" }))).code, "forbidden");
    await json.expect(ofType("left", { room: "board" }));
    assert.equal((await text.closed).code, CLOSE.kicked);
    assert.deepEqual((await admin("GET", "/private-rooms")).body, { rooms: ["board"] });
    assert.equal((await handshake(`${base}/chat/board`)).status, 401);

    granted.send({ type: "send", text: "board-secret-77", cid: "b1" });
    await granted.expect(ofType("message", { text: "board-secret-77" }));
    json.send({ type: "join", room: "board" });
    assert.equal((await json.expect(ofType("error", { room: "board" }))).code, "forbidden");
    assert.ok(!json.raw.frames.some((f) => f.includes("board-secret-77")));

    const opened = await admin("DELETE", "/rooms/board/private");
    assert.deepEqual([opened.status, opened.body], [200, { room: "board", private: false }]);
    json.send({ type: "join", room: "board" });
    await json.untilJoined("board");
    assert.equal((await admin("PUT", "/rooms/no%20such/private")).status, 400, "a bad room name");

    const audits = log.lines().filter((l) => l.event === "admin");
    assert.deepEqual(
      audits.map((l) => [l.action, l.room]),
      [
        ["private", "board"],
        ["public", "board"],
      ],
    );
    await granted.close();
    await json.close();
  });

  test("neither /metrics nor the debug-level log holds a private room's name, its text or a token", async () => {
    await admin("PUT", "/rooms/hushroom/private");
    const token = await hsToken(secret, { sub: "u-h", name: "hush", rooms: ["hushroom"] });
    const insider = await connectJson(`${base}/chat/hushroom`, token);
    await insider.untilJoined("hushroom");
    insider.send({ type: "send", text: "whisper-4d1e", cid: "w" });
    await insider.expect(ofType("ack", { cid: "w" }));
    insider.send({ type: "typing" });
    insider.send({ type: "read", room: "hushroom", seq: 1 });
    await insider.expect(ofType("read"));
    // The token in the URL (text mode), refused and accepted, and as a bearer header.
    const textToken = await hsToken(secret, { sub: "u-t", name: "texter", rooms: ["hushroom"] });
    const text = await connect(`${base}/chat/hushroom?token=${textToken}`);
    text.send("whisper-text-9a0b");
    await text.nextMatching((f) => f.endsWith("whisper-text-9a0b"));
    const outsider = await hsToken(secret, { sub: "u-o", name: "outsider" });
    assert.equal((await handshake(`${base}/chat/hushroom?token=${outsider}`)).status, 403);
    assert.equal(
      (await handshake(`${base}/chat/hushroom`, { Authorization: `Bearer ${outsider}x` })).status,
      401,
      "a forged token",
    );
    await text.close();
    await insider.close();

    const metrics = await (await fetch(`http://127.0.0.1:${parley.port}/metrics`)).text();
    assert.match(metrics, /parley_handshakes_refused_total\{reason="forbidden"\} [1-9]/);
    assert.match(metrics, /parley_handshakes_refused_total\{reason="unauthorized"\} [1-9]/);
    for (const leak of ["hushroom", "whisper-4d1e", "whisper-text-9a0b", "u-h"]) {
      assert.ok(!metrics.includes(leak), `/metrics holds ${leak}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100)); // the close lines
    const logText = log.raw.join("");
    assert.ok(
      log.lines().some((l) => l.event === "open"),
      "the connection log was written",
    );
    for (const leak of [token, textToken, outsider, "whisper-4d1e", "whisper-text-9a0b"]) {
      assert.ok(!logText.includes(leak), `the log holds ${leak.slice(0, 20)}…`);
    }
    // The signature alone would be enough to replay nothing, but no part of a token is logged.
    assert.ok(!logText.includes(token.split(".")[2] as string));
  });
});
