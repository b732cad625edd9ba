import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { RunningParley } from "../../src/server.ts";
import { ADMIN_TOKEN, call, createKey } from "../helpers/api.ts";
import { connect } from "../helpers/client.ts";
import { connectJson, ofType } from "../helpers/json.ts";
import { startTestParley } from "../helpers/parley.ts";
import { parsePrometheus, sampleValue } from "../helpers/prometheus.ts";
import { hsToken, newSecret } from "../helpers/tokens.ts";

const isProblem = (
  answer: { status: number; headers: Headers; body: Record<string, unknown> },
  status: number,
  code: string,
) => {
  assert.equal(answer.status, status, JSON.stringify(answer.body));
  assert.equal(answer.headers.get("content-type"), "application/problem+json");
  assert.equal(answer.body.status, status);
  assert.equal(answer.body.code, code);
  assert.equal(typeof answer.body.detail, "string");
  assert.doesNotMatch(JSON.stringify(answer.body), /at .*\.ts:\d+|node_modules/); // never a stack trace
};

describe("HTTP API: keys, publish, history, presence, rooms", () => {
  const secret = newSecret();
  let parley: RunningParley;
  let ci: string;
  let reader: string;
  before(async () => {
    parley = await startTestParley({ adminToken: ADMIN_TOKEN, authSecret: secret, privateRooms: "vault" });
    ci = (await createKey(parley.port, { name: "ci", rooms: ["deploys", "ci-*"], rights: ["publish"] })).secret;
    reader = (await createKey(parley.port, { name: "dash", rooms: ["*"], rights: ["read"] })).secret;
  });
  after(() => parley.close());

  test("a published message reaches JSON and Cookbook clients as bot:<name>; a retry is stored once", async () => {
    const json = await connectJson(`ws://127.0.0.1:${parley.wsPort}/chat/deploys`);
    await json.untilJoined("deploys");
    const text = await connect(`ws://127.0.0.1:${parley.wsPort}/chat/deploys`);
    await json.expect(ofType("presence", { action: "join" })); // the Cookbook client is in the room
    const post = () =>
      call(parley.port, "POST", "/api/v1/rooms/deploys/messages", {
        auth: ci,
        body: { text: "deploy 1.4.2 done" },
        headers: { "Idempotency-Key": "run-8812" },
      });
    const first = await post();
    assert.equal(first.status, 201);
    assert.equal(first.body.message.nick, "bot:ci");
    assert.equal(first.body.duplicate, false);
    const event = await json.expect(ofType("message"));
    assert.equal(event.nick, "bot:ci");
    assert.equal(event.seq, first.body.message.seq);
    await text.nextMatching((line) => line === "bot:ci: deploy 1.4.2 done");

    const retry = await post();
    assert.equal(retry.status, 200);
    assert.equal(retry.body.duplicate, true);
    assert.equal(retry.body.message.seq, first.body.message.seq);
    const reused = await call(parley.port, "POST", "/api/v1/rooms/deploys/messages", {
      auth: ci,
      body: { text: "another text" },
      headers: { "Idempotency-Key": "run-8812" },
    });
    isProblem(reused, 409, "cid_conflict");
    const history = await call(parley.port, "GET", "/api/v1/rooms/deploys/messages?since=0", { auth: reader });
    assert.equal(history.status, 200);
    assert.deepEqual(
      history.body.messages.map((m: { text: string }) => m.text),
      ["deploy 1.4.2 done"],
    );
    await json.close();
    await text.close();
  });

  test("history pages: since, before, latest, bounded limit", async () => {
    for (let i = 1; i <= 5; i++) {
      const answer = await call(parley.port, "POST", "/api/v1/rooms/ci-pages/messages", {
        auth: ci,
        body: { text: `m${i}` },
      });
      assert.equal(answer.status, 201);
    }
    const texts = async (query: string) =>
      (await call(parley.port, "GET", `/api/v1/rooms/ci-pages/messages?${query}`, { auth: reader })).body.messages.map(
        (m: { text: string }) => m.text,
      );
    assert.deepEqual(await texts("since=2&limit=2"), ["m3", "m4"]);
    assert.deepEqual(await texts("before=3"), ["m1", "m2"]);
    assert.deepEqual(await texts("limit=2"), ["m4", "m5"]);
    isProblem(
      await call(parley.port, "GET", "/api/v1/rooms/ci-pages/messages?limit=100000", { auth: reader }),
      400,
      "bad_request",
    );
    isProblem(
      await call(parley.port, "GET", "/api/v1/rooms/ci-pages/messages?since=1&before=3", { auth: reader }),
      400,
      "bad_request",
    );
  });

  test("bad keys and bad bodies get a problem document", async () => {
    const path = "/api/v1/rooms/deploys/messages";
    isProblem(await call(parley.port, "POST", path, { body: { text: "x" } }), 401, "unauthorized");
    isProblem(
      await call(parley.port, "POST", path, { auth: "pk_not-a-key", body: { text: "x" } }),
      401,
      "unauthorized",
    );
    isProblem(await call(parley.port, "POST", path, { auth: ADMIN_TOKEN, body: { text: "x" } }), 401, "unauthorized");
    isProblem(await call(parley.port, "POST", path, { auth: ci, body: "{not json" }), 400, "bad_json");
    isProblem(await call(parley.port, "POST", path, { auth: ci, body: { text: "" } }), 400, "bad_request");
    isProblem(await call(parley.port, "POST", path, { auth: ci, body: { text: 7 } }), 400, "bad_request");
    isProblem(
      await call(parley.port, "POST", path, { auth: ci, body: { text: "x".repeat(20_000) } }),
      413,
      "bad_request",
    );
    isProblem(
      await call(parley.port, "POST", "/api/v1/rooms/-bad/messages", { auth: ci, body: { text: "x" } }),
      400,
      "bad_room",
    );
    isProblem(
      await call(parley.port, "POST", "/api/v1/rooms/other/messages", { auth: ci, body: { text: "x" } }),
      403,
      "forbidden",
    );
    isProblem(await call(parley.port, "GET", "/api/v1/rooms/deploys/messages", { auth: ci }), 403, "forbidden");
    isProblem(await call(parley.port, "POST", path, { auth: reader, body: { text: "x" } }), 403, "forbidden");
    isProblem(await call(parley.port, "GET", "/api/v1/nothing", { auth: ci }), 404, "bad_request");
  });

  test("a revoked key is refused at once; keys are listed without their secret", async () => {
    const made = await createKey(parley.port, { name: "temp", rooms: ["*"], rights: ["read"] });
    assert.equal((await call(parley.port, "GET", "/api/v1/rooms", { auth: made.secret })).status, 200);
    const listed = await call(parley.port, "GET", "/admin/api/keys", { auth: ADMIN_TOKEN });
    const shown = listed.body.keys.find((k: { id: string }) => k.id === made.id);
    assert.equal(shown.use.requests, 1); // its use on this node, for the administrator
    assert.equal(typeof shown.use.lastUsedAt, "number");
    assert.doesNotMatch(JSON.stringify(listed.body), /pk_/);
    assert.equal((await call(parley.port, "DELETE", `/admin/api/keys/${made.id}`, { auth: ADMIN_TOKEN })).status, 200);
    isProblem(await call(parley.port, "GET", "/api/v1/rooms", { auth: made.secret }), 401, "unauthorized");
    isProblem(
      await call(parley.port, "POST", "/admin/api/keys", { auth: "wrong-admin-token-0000000000", body: {} }),
      401,
      "unauthorized",
    );
    isProblem(
      await call(parley.port, "POST", "/admin/api/keys", {
        auth: ADMIN_TOKEN,
        body: { name: "x", rooms: [], rights: ["read"] },
      }),
      400,
      "bad_request",
    );
  });

  test("the admin API (on Hono now) keeps its answers: 413 past 16 KiB, 400 for bad percent-encoding, 405", async () => {
    const big = await call(parley.port, "POST", "/admin/api/kick", {
      auth: ADMIN_TOKEN,
      body: { nick: "x".repeat(20_000) },
    });
    assert.equal(big.status, 413);
    assert.equal(big.body.error, "The request body is too large.");
    assert.equal((await call(parley.port, "GET", "/admin/api/rooms/%zz/members", { auth: ADMIN_TOKEN })).status, 400);
    assert.equal((await call(parley.port, "POST", "/admin/api/rooms", { auth: ADMIN_TOKEN })).status, 405);
    assert.equal((await call(parley.port, "GET", "/admin/api/rooms", { auth: ADMIN_TOKEN })).status, 200);
  });

  test("nobody on WebSocket may take a bot: nickname", async () => {
    const client = await connectJson(`ws://127.0.0.1:${parley.wsPort}/chat/lobby`);
    client.send({ type: "nick", nick: "bot:ci" });
    assert.equal((await client.expect(ofType("error"))).code, "forbidden");
    client.send({ type: "nick", nick: "BOT:ci" });
    assert.equal((await client.expect(ofType("error"))).code, "forbidden");
    await client.close();
  });

  test("private rooms: a key or token that does not grant one learns nothing (same answer as an empty room)", async () => {
    const insider = await connectJson(
      `ws://127.0.0.1:${parley.wsPort}/chat/vault`,
      await hsToken(secret, { sub: "u-in", name: "insider", rooms: ["vault"] }),
    );
    await insider.untilJoined("vault");
    insider.send({ type: "send", text: "SECRET-1", cid: "s1" });
    await insider.expect(ofType("ack"));
    const narrow = (await createKey(parley.port, { name: "narrow", rooms: ["pub*"], rights: ["read", "publish"] }))
      .secret;
    const outsiderToken = await hsToken(secret, { sub: "u-out", name: "outsider" });
    const readPaths = (room: string) => [
      `/api/v1/rooms/${room}/messages?since=0`,
      `/api/v1/rooms/${room}/messages?before=100`,
      `/api/v1/rooms/${room}/presence`,
      `/api/v1/rooms/${room}/events?since=0`,
    ];
    // A key outside its pattern: the private room and a room that never existed answer word for word the same.
    const answers = [];
    for (const room of ["vault", "no-such-room"]) {
      for (const path of readPaths(room)) {
        const answer = await call(parley.port, "GET", path, { auth: narrow });
        isProblem(answer, 403, "forbidden");
        answers.push(answer.body.detail.replace(room, "ROOM"));
      }
    }
    assert.deepEqual(answers.slice(0, 4), answers.slice(4));
    // A signed-in user not granted the room: refused as on WebSocket (forbidden), nothing of it shown.
    for (const path of readPaths("vault")) {
      const answer = await call(parley.port, "GET", path, { auth: outsiderToken });
      isProblem(answer, 403, "forbidden");
      assert.doesNotMatch(JSON.stringify(answer.body), /SECRET|insider/);
    }
    for (const auth of [narrow, outsiderToken]) {
      const rooms = await call(parley.port, "GET", "/api/v1/rooms", { auth });
      assert.equal(rooms.status, 200);
      assert.ok(!rooms.body.rooms.includes("vault"));
    }
    isProblem(
      await call(parley.port, "POST", "/api/v1/rooms/vault/messages", { auth: narrow, body: { text: "x" } }),
      403,
      "forbidden",
    );
    isProblem(
      await call(parley.port, "POST", "/api/v1/rooms/vault/messages", { auth: outsiderToken, body: { text: "x" } }),
      403,
      "forbidden",
    );
    // Granted: the key's pattern matches, or the token names the room.
    const granted = await call(parley.port, "GET", "/api/v1/rooms/vault/messages?since=0", { auth: reader });
    assert.deepEqual(
      granted.body.messages.map((m: { text: string }) => m.text),
      ["SECRET-1"],
    );
    const presence = await call(parley.port, "GET", "/api/v1/rooms/vault/presence", {
      auth: await hsToken(secret, { sub: "u-2", name: "other", rooms: ["vault"] }),
    });
    assert.deepEqual(presence.body, { room: "vault", members: ["insider"] });
    await insider.close();
  });
});

describe("HTTP API limits", () => {
  test("past the per-key rate: 429 with Retry-After, counted; other keys unaffected", async () => {
    const parley = await startTestParley({ adminToken: ADMIN_TOKEN, apiRate: 1, apiBurst: 3 });
    try {
      const a = (await createKey(parley.port, { name: "a", rooms: ["*"], rights: ["read"] })).secret;
      const b = (await createKey(parley.port, { name: "b", rooms: ["*"], rights: ["read"] })).secret;
      for (let i = 0; i < 3; i++)
        assert.equal((await call(parley.port, "GET", "/api/v1/rooms", { auth: a })).status, 200);
      const refused = await call(parley.port, "GET", "/api/v1/rooms", { auth: a });
      isProblem(refused, 429, "rate_limited");
      assert.ok(Number(refused.headers.get("retry-after")) >= 1);
      assert.equal((await call(parley.port, "GET", "/api/v1/rooms", { auth: b })).status, 200);
      const metrics = parsePrometheus(await (await fetch(`http://127.0.0.1:${parley.port}/metrics`)).text());
      assert.equal(sampleValue(metrics, "parley_api_requests_total", { route: "/api/v1/rooms", status: "4xx" }), 1);
    } finally {
      await parley.close();
    }
  });
});
