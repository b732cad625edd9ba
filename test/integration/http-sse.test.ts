import assert from "node:assert/strict";
import { connect as netConnect } from "node:net";
import { describe, test } from "node:test";
import { ADMIN_TOKEN, call, createKey, SseReader } from "../helpers/api.ts";
import { startTestParley, tempDir } from "../helpers/parley.ts";
import { parsePrometheus, sampleValue } from "../helpers/prometheus.ts";
import { hsToken, newSecret } from "../helpers/tokens.ts";

const publish = async (port: number, key: string, room: string, text: string): Promise<number> => {
  const answer = await call(port, "POST", `/api/v1/rooms/${room}/messages`, { auth: key, body: { text } });
  assert.equal(answer.status, 201, JSON.stringify(answer.body));
  return answer.body.message.seq;
};

describe("server-sent events", () => {
  test("Last-Event-ID resumes exactly across a server restart, then live; heartbeats while idle", async () => {
    const dataDir = tempDir();
    const options = { adminToken: ADMIN_TOKEN, dataDir, sseHeartbeatMs: 100 };
    let parley = await startTestParley(options);
    const port = parley.port;
    const key = (await createKey(port, { name: "feed", rooms: ["ops"], rights: ["read", "publish"] })).secret;
    const auth = { Authorization: `Bearer ${key}` };
    const url = `http://127.0.0.1:${port}/api/v1/rooms/ops/events`;
    const first = await SseReader.open(`${url}?since=0`, auth);
    assert.equal(first.response.headers.get("content-type"), "text/event-stream; charset=utf-8");
    for (const text of ["one", "two", "three"]) await publish(port, key, "ops", text);
    await first.until((r) => r.messages().length === 3);
    assert.deepEqual(
      first.events.filter((e) => e.event === "message").map((e) => e.id),
      ["1", "2", "3"],
    );
    await first.until((r) => r.comments >= 1); // heartbeat comments
    await parley.close();
    await first.until((r) => r.ended);

    parley = await startTestParley({ ...options, port });
    try {
      for (const text of ["four", "five"]) await publish(port, key, "ops", text);
      const resumed = await SseReader.open(url, { ...auth, "Last-Event-ID": "3" });
      await resumed.until((r) => r.messages().length === 2);
      await publish(port, key, "ops", "six");
      await resumed.until((r) => r.messages().length === 3);
      assert.deepEqual(
        resumed.messages().map((m) => [m.seq, m.text]),
        [
          [4, "four"],
          [5, "five"],
          [6, "six"],
        ],
      );
      const resume = resumed.events.find((e) => e.event === "resume");
      assert.deepEqual(JSON.parse(resume?.data ?? "{}"), { since: 3, complete: true, first: 1, last: 5 });
      // A position past the room's end (a reset store, another server) is said to be incomplete, then live.
      const ahead = await SseReader.open(url, { ...auth, "Last-Event-ID": "999" });
      await ahead.until((r) => r.events.some((e) => e.event === "resume"));
      assert.equal(JSON.parse(ahead.events.find((e) => e.event === "resume")?.data ?? "{}").complete, false);
      await publish(port, key, "ops", "after-ahead");
      await ahead.until((r) => r.messages().length === 1);
      ahead.close();
      // Without a position a stream starts at the room's end: live messages only.
      const fresh = await SseReader.open(url, auth);
      await fresh.until((r) => r.events.some((e) => e.event === "presence"));
      await publish(port, key, "ops", "eight");
      await fresh.until((r) => r.messages().length === 1);
      assert.equal(fresh.messages()[0]?.text, "eight");
      resumed.close();
      fresh.close();
    } finally {
      await parley.close();
    }
  });

  test("a signed token as ?token= reads a private room it grants; a client that never reads is cut, memory bounded", async () => {
    const secret = newSecret();
    const parley = await startTestParley({
      adminToken: ADMIN_TOKEN,
      authSecret: secret,
      privateRooms: "vault",
      sseStallMs: 300,
    });
    try {
      const port = parley.port;
      const key = (await createKey(port, { name: "w", rooms: ["*"], rights: ["publish"] })).secret;
      const token = await hsToken(secret, { sub: "u1", name: "alice", rooms: ["vault"] });
      const reader = await SseReader.open(`http://127.0.0.1:${port}/api/v1/rooms/vault/events?since=0&token=${token}`);
      assert.equal(reader.response.status, 200);
      await publish(port, key, "vault", "inside");
      await reader.until((r) => r.messages().length === 1);
      reader.close();

      // At most 16 open streams per caller; the 17th is told why.
      const url = `http://127.0.0.1:${port}/api/v1/rooms/lobby/events?token=${token}`;
      const many = await Promise.all(Array.from({ length: 16 }, () => SseReader.open(url)));
      assert.ok(many.every((r) => r.response.status === 200));
      const refused = await fetch(url);
      assert.equal(refused.status, 429);
      assert.equal(((await refused.json()) as { code: string }).code, "rate_limited");
      for (const r of many) r.close();

      // A raw socket asks for the stream and never reads a byte.
      const socket = netConnect(port, "127.0.0.1");
      await new Promise<void>((resolve) => socket.once("connect", resolve));
      socket.pause();
      socket.write(
        `GET /api/v1/rooms/flood/events?since=0 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n\r\n`,
      );
      socket.on("error", () => {});
      const text = "x".repeat(4000);
      const total = 2500; // ~10 MB: more than the socket buffers hold
      for (let i = 0; i < total; i++) await parley.service.publishAs("flood", "bot:w", text, undefined);
      const started = Date.now();
      const scrape = async () => parsePrometheus(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text());
      while (sampleValue(await scrape(), "parley_api_streams_closed_total", { reason: "stalled" }) !== 1) {
        assert.ok(Date.now() - started < 5000, "the stalled stream is closed within its bound");
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.equal(sampleValue(await scrape(), "parley_api_streams_open", {}), 0);
      // What the server wrote before it cut the stream is a prefix of the room, far from all of it.
      socket.resume();
      let received = "";
      socket.setEncoding("utf8");
      socket.on("data", (chunk: string) => {
        received += chunk;
      });
      await new Promise<void>((resolve) => socket.once("close", () => resolve()));
      const ids = [...received.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
      assert.ok(ids.length > 0 && ids.length < total / 2, `${ids.length} of ${total} messages were written`);
      assert.deepEqual(
        ids,
        ids.map((_, i) => i + 1),
      );
    } finally {
      await parley.close();
    }
  });

  test("a stream ends when its key is revoked, its room is made private or its token expires", async () => {
    const secret = newSecret();
    const parley = await startTestParley({
      adminToken: ADMIN_TOKEN,
      authSecret: secret,
      sseHeartbeatMs: 100,
      authClockTolerance: 0,
    });
    try {
      const port = parley.port;
      const made = await createKey(port, { name: "w", rooms: ["*"], rights: ["read"] });
      const byKey = await SseReader.open(`http://127.0.0.1:${port}/api/v1/rooms/ops/events`, {
        Authorization: `Bearer ${made.secret}`,
      });
      const token = await hsToken(secret, { sub: "u1", name: "alice" });
      const byToken = await SseReader.open(`http://127.0.0.1:${port}/api/v1/rooms/later/events?token=${token}`);
      await byKey.until((r) => r.comments > 0);
      await byToken.until((r) => r.comments > 0);
      assert.equal((await call(port, "DELETE", `/admin/api/keys/${made.id}`, { auth: ADMIN_TOKEN })).status, 200);
      await byKey.until((r) => r.ended, 2000);
      assert.equal(byToken.ended, false);
      assert.equal((await call(port, "PUT", "/admin/api/rooms/later/private", { auth: ADMIN_TOKEN })).status, 200);
      await byToken.until((r) => r.ended, 2000);
      const shortLived = await hsToken(secret, { sub: "u2", name: "bob" }, 1);
      const expiring = await SseReader.open(`http://127.0.0.1:${port}/api/v1/rooms/ops/events?token=${shortLived}`);
      assert.equal(expiring.response.status, 200);
      await expiring.until((r) => r.ended, 3000);
      const metrics = parsePrometheus(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text());
      assert.equal(sampleValue(metrics, "parley_api_streams_closed_total", { reason: "revoked" }), 3);
    } finally {
      await parley.close();
    }
  });
});
