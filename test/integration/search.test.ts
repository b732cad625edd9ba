import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { RunningParley } from "../../src/server.ts";
import { ADMIN_TOKEN, call, createKey } from "../helpers/api.ts";
import { connectJson, type Event, type JsonClient, ofType } from "../helpers/json.ts";
import { startTestParley } from "../helpers/parley.ts";
import { hsToken, newSecret } from "../helpers/tokens.ts";

interface Hit {
  room: string;
  seq: number;
  text: string;
  marks: [number, number][];
}

const hitsOf = (event: Event) => event.hits as Hit[];

describe("search over JSON v1 and GET /api/v1/search", () => {
  const secret = newSecret();
  let parley: RunningParley;
  let base: string;
  let insider: JsonClient;
  let outsider: JsonClient;
  let cids = 0;

  const search = async (client: JsonClient, frame: Record<string, unknown>): Promise<Event> => {
    const cid = `q${++cids}`;
    client.send({ type: "search", cid, ...frame });
    return client.expect((e) => e.cid === cid && (e.type === "search_results" || e.type === "error"));
  };

  before(async () => {
    parley = await startTestParley({ authSecret: secret, privateRooms: "vault", adminToken: ADMIN_TOKEN });
    base = `ws://127.0.0.1:${parley.wsPort}`;
    insider = await connectJson(
      `${base}/chat/vault`,
      await hsToken(secret, { sub: "u-in", name: "insider", rooms: ["vault"] }),
    );
    await insider.untilJoined("vault");
    outsider = await connectJson(`${base}/chat/lobby`, await hsToken(secret, { sub: "u-out", name: "outsider" }));
    await outsider.untilJoined("lobby");
    insider.send({ type: "send", text: "the launch code is zebra", cid: "v1" });
    await insider.expect(ofType("ack", { cid: "v1" }));
    outsider.send({ type: "send", text: "Launch party at the café", cid: "l1" });
    await outsider.expect(ofType("ack", { cid: "l1" }));
    outsider.send({ type: "send", text: "who has the launch slides?", cid: "l2" });
    await outsider.expect(ofType("ack", { cid: "l2" }));
  });
  after(async () => {
    await insider.close();
    await outsider.close();
    await parley.close();
  });

  test("results carry the cid, the messages and the marked words, as ranges into the text", async () => {
    const results = await search(outsider, { query: "CAFE launch", order: "newest" });
    assert.equal(results.type, "search_results");
    const [hit] = hitsOf(results);
    assert.equal(hit?.text, "Launch party at the café");
    assert.deepEqual(
      hit?.marks.map(([start, end]) => hit.text.slice(start, end)),
      ["Launch", "café"],
    );
    assert.equal(results.next, null);
    assert.equal(results.truncated, false);
  });

  test("a private room not granted is never searched, not even counted; naming it is forbidden", async () => {
    const results = await search(outsider, { query: "launch", limit: 50 });
    assert.deepEqual(
      hitsOf(results).map((h) => h.room),
      ["lobby", "lobby"],
    );
    assert.deepEqual(hitsOf(await search(outsider, { query: "zebra" })), []);
    const named = await search(outsider, { query: "zebra", room: "vault" });
    assert.equal(named.type, "error");
    assert.equal(named.code, "forbidden");
    // The insider, granted the room, finds it.
    assert.deepEqual(
      hitsOf(await search(insider, { query: "zebra" })).map((h) => h.room),
      ["vault"],
    );
  });

  test("bad requests are refused with the cid and a reason", async () => {
    for (const [frame, code] of [
      [{ query: "-only -excluded" }, "bad_request"],
      [{ query: "x", order: "oldest" }, "bad_request"],
      [{ query: "x", cursor: "garbage" }, "bad_request"],
      [{ query: "x", since: 10, until: 5 }, "bad_request"],
      [{ query: "x", room: "no spaces allowed" }, "bad_room"],
    ] as const) {
      const answer = await search(outsider, frame);
      assert.equal(answer.type, "error", JSON.stringify(frame));
      assert.equal(answer.code, code, JSON.stringify(frame));
    }
    outsider.send({ type: "search", query: "launch" });
    const noCid = await outsider.expect(ofType("error"));
    assert.equal(noCid.code, "bad_request");
  });

  test("one search at a time per connection: a second one sent at once is busy or answered after", async () => {
    outsider.send({ type: "search", cid: "b1", query: "launch" });
    outsider.send({ type: "search", cid: "b2", query: "launch" });
    const answers = new Map<unknown, Event>();
    while (answers.size < 2) {
      const answer = await outsider.expect((e) => e.cid === "b1" || e.cid === "b2");
      answers.set(answer.cid, answer);
    }
    assert.equal(answers.get("b1")?.type, "search_results");
    // b2 came while b1 was running: refused, with its cid (or answered, had b1 already finished).
    const second = answers.get("b2");
    assert.ok(second?.type === "search_results" || second?.code === "busy", JSON.stringify(second));
  });

  test("a message deleted by an administrator is gone from results", async () => {
    const [slides] = hitsOf(await search(outsider, { query: "slides" }));
    assert.ok(slides);
    const deleted = await fetch(`http://127.0.0.1:${parley.port}/admin/api/rooms/lobby/messages/${slides.seq}`, {
      method: "DELETE",
      headers: { Authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    assert.equal(deleted.status, 200);
    assert.deepEqual(hitsOf(await search(outsider, { query: "slides" })), []);
  });

  test("HTTP: a token sees what its connection would; a key only its rooms; a private room is 403", async () => {
    const outsiderToken = await hsToken(secret, { sub: "u-out", name: "outsider" });
    const asOutsider = await call(parley.port, "GET", "/api/v1/search?q=launch", { auth: outsiderToken });
    assert.equal(asOutsider.status, 200);
    assert.ok(asOutsider.body.hits.length > 0);
    assert.ok(asOutsider.body.hits.every((h: Hit) => h.room === "lobby"));
    assert.equal(
      (await call(parley.port, "GET", "/api/v1/search?q=zebra", { auth: outsiderToken })).body.hits.length,
      0,
    );
    const probe = await call(parley.port, "GET", "/api/v1/search?q=zebra&room=vault", { auth: outsiderToken });
    assert.equal(probe.status, 403);
    assert.equal(probe.body.code, "forbidden");

    const lobbyKey = (await createKey(parley.port, { name: "lobby-reader", rooms: ["lobby"], rights: ["read"] }))
      .secret;
    const byKey = await call(parley.port, "GET", "/api/v1/search?q=launch&order=newest&limit=1", { auth: lobbyKey });
    assert.equal(byKey.status, 200);
    assert.equal(byKey.body.hits.length, 1);
    assert.equal(byKey.body.hits[0].room, "lobby");
    assert.equal((await call(parley.port, "GET", "/api/v1/search?q=zebra", { auth: lobbyKey })).body.hits.length, 0);
    assert.equal((await call(parley.port, "GET", "/api/v1/search?q=zebra&room=vault", { auth: lobbyKey })).status, 403);
    const bad = await call(parley.port, "GET", "/api/v1/search?q=-nothing", { auth: lobbyKey });
    assert.equal(bad.status, 400);
    assert.equal((await call(parley.port, "GET", "/api/v1/search?q=launch")).status, 401);
  });
});
