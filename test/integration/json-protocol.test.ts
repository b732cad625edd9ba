import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { RunningParley } from "../../src/server.ts";
import { connect } from "../helpers/client.ts";
import { connectJson, ofType } from "../helpers/json.ts";
import { startTestParley } from "../helpers/parley.ts";

describe("JSON protocol v1", () => {
  let parley: RunningParley;
  let base: string;
  before(async () => {
    parley = await startTestParley();
    base = `ws://127.0.0.1:${parley.wsPort}`;
  });
  after(() => parley.close());

  test("welcome, then the URL's room: presence snapshot and joined", async () => {
    const c = await connectJson(`${base}/chat/welcome-room`);
    const welcome = await c.expect(ofType("welcome"));
    assert.equal(welcome.protocol, "parley.v1");
    assert.match(String(welcome.nick), /^user-\d+$/);
    assert.deepEqual(welcome.rooms, ["welcome-room"]);
    const snapshot = await c.expect(ofType("presence", { action: "snapshot" }));
    assert.deepEqual(snapshot.members, [welcome.nick]);
    const joined = await c.expect(ofType("joined", { room: "welcome-room" }));
    assert.equal(joined.lastSeq, 0);
    assert.equal(joined.resume, null);
    await c.close();
  });

  test("send is acked with its seq, then broadcast to JSON and text members with the same seq", async () => {
    const text = await connect(`${base}/chat/mixed`);
    const json = await connectJson(`${base}/chat/mixed`);
    await json.untilJoined("mixed");
    json.send({ type: "send", text: "hello text", cid: "c-1" });
    const ack = await json.expect(ofType("ack"));
    assert.equal(ack.cid, "c-1");
    assert.equal(ack.seq, 1);
    assert.equal(ack.duplicate, false);
    const message = await json.expect(ofType("message"));
    assert.equal(message.seq, 1);
    assert.equal(message.text, "hello text");
    assert.equal(await text.next(), `${message.nick}: hello text`);

    text.send("hello json");
    const fromText = await json.expect(ofType("message", { seq: 2 }));
    assert.equal(fromText.text, "hello json");
    assert.match(String(fromText.nick), /^user-\d+$/);
    assert.equal(await text.next(), `${fromText.nick}: hello json`);
    await text.close();
    await json.close();
  });

  test("ping is answered by pong with its id, in order; a text line 'ping' stays a chat message", async () => {
    const text = await connect(`${base}/chat/alive`);
    const json = await connectJson(`${base}/chat/alive`);
    await json.untilJoined("alive");
    json.send({ type: "ping", id: "p-1" });
    json.send({ type: "ping" });
    assert.deepEqual(await json.expect(ofType("pong")), { type: "pong", id: "p-1" });
    assert.deepEqual(await json.expect(ofType("pong")), { type: "pong" });
    json.send({ type: "ping", id: 7 });
    const refused = await json.expect(ofType("error"));
    assert.equal(refused.code, "bad_request");
    text.send("ping");
    const said = await json.expect(ofType("message"));
    assert.equal(said.text, "ping");
    await text.close();
    await json.close();
  });

  test("presence: a joiner is announced to JSON members only; a text client gets only the Cookbook frames", async () => {
    const text = await connect(`${base}/chat/presence`);
    const a = await connectJson(`${base}/chat/presence`);
    await a.untilJoined("presence");
    const b = await connectJson(`${base}/chat/presence`);
    const bWelcome = await b.expect(ofType("welcome"));
    const join = await a.expect(ofType("presence", { action: "join" }));
    assert.equal(join.nick, bWelcome.nick);
    const snapshot = await b.expect(ofType("presence", { action: "snapshot" }));
    assert.equal((snapshot.members as string[]).length, 3);
    await b.close();
    const leave = await a.expect(ofType("presence", { action: "leave" }));
    assert.equal(leave.nick, bWelcome.nick);
    assert.equal(await text.next(), ` .... ${bWelcome.nick} has left.`);
    await a.close();
    assert.match(await text.next(), /^ \.\.\.\. user-\d+ has left\.$/);
    assert.equal(text.frames.length, 2, "no join notice was pushed at the text client");
    await text.close();
  });

  test("join and leave more rooms; who lists members; sending to a room you are not in is an error", async () => {
    const c = await connectJson(`${base}/`);
    await c.untilJoined("lobby");
    c.send({ type: "join", room: "second" });
    await c.untilJoined("second");
    c.send({ type: "send", room: "second", text: "in second", cid: "s1" });
    assert.equal((await c.expect(ofType("ack", { cid: "s1" }))).room, "second");
    c.send({ type: "who", room: "second" });
    const who = await c.expect(ofType("presence", { action: "snapshot", room: "second" }));
    assert.equal((who.members as string[]).length, 1);
    c.send({ type: "leave", room: "second" });
    await c.expect(ofType("left", { room: "second" }));
    c.send({ type: "send", room: "second", text: "nope", cid: "s2" });
    const error = await c.expect(ofType("error"));
    assert.equal(error.code, "not_in_room");
    assert.equal(error.cid, "s2");
    await c.close();
  });

  test("bad input gets an error event with a stable code and the connection stays usable", async () => {
    const c = await connectJson(`${base}/chat/errors`);
    await c.untilJoined("errors");
    const cases: Array<[string, string]> = [
      ["{not json", "bad_json"],
      ["[1,2]", "bad_request"],
      [JSON.stringify({ type: "dance" }), "unknown_type"],
      // 32,000 deep: once a stack overflow answered `internal`.
      [`{"type":${"[".repeat(32_000)}${"]".repeat(32_000)}}`, "bad_request"],
      [`{"type":"send","text":"x","cid":${'{"a":'.repeat(10_000)}1${"}".repeat(10_000)}}`, "bad_request"],
      [JSON.stringify({ type: 7 }), "bad_request"],
      [JSON.stringify({ text: "no type" }), "bad_request"],
      [JSON.stringify({ type: "send" }), "bad_request"],
      [JSON.stringify({ type: "send", text: 42 }), "bad_request"],
      [JSON.stringify({ type: "join", room: "bad room!" }), "bad_room"],
      [JSON.stringify({ type: "join", room: "x".repeat(65) }), "bad_room"],
      [JSON.stringify({ type: "join", room: "errors" }), "already_in_room"],
      [JSON.stringify({ type: "join", room: "ok", since: -1 }), "bad_request"],
      [JSON.stringify({ type: "nick", nick: "" }), "bad_nick"],
      [JSON.stringify({ type: "nick", nick: "n".repeat(33) }), "bad_nick"],
      [JSON.stringify({ type: "nick", nick: "tab\there" }), "bad_nick"],
      [JSON.stringify({ type: "leave", room: "never-joined" }), "not_in_room"],
    ];
    for (const [frame, code] of cases) {
      c.raw.send(frame);
      const error = await c.expect(ofType("error"));
      assert.equal(error.code, code, `for ${frame}`);
      assert.equal(typeof error.message, "string");
    }
    c.raw.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    assert.equal((await c.expect(ofType("error"))).code, "binary_unsupported");
    c.send({ type: "send", text: "still here", cid: "after-errors" });
    assert.equal((await c.expect(ofType("ack"))).cid, "after-errors");
    await c.close();
  });

  test("a message sent right behind a rename goes out under the new name, in both modes", async () => {
    const c = await connectJson(`${base}/chat/rename-order`);
    await c.untilJoined("rename-order");
    for (let i = 0; i < 8; i++) {
      // Both frames leave in one write: the send must wait for the rename's cluster-wide claim.
      c.send({ type: "nick", nick: `renamed-${i}` });
      c.send({ type: "send", text: `after ${i}`, cid: `order-${i}` });
      const message = await c.expect(ofType("message", { text: `after ${i}` }));
      assert.equal(message.nick, `renamed-${i}`);
    }
    const text = await connect(`${base}/chat/rename-order`);
    for (let i = 0; i < 4; i++) {
      text.send(`/nick plain-${i}`);
      text.send(`line ${i}`);
      assert.equal(await text.nextMatching((f) => f.endsWith(`line ${i}`)), `plain-${i}: line ${i}`);
    }
    await Promise.all([c.close(), text.close()]);
  });

  test("an upgrade to a bad room path or an unknown subprotocol is refused with 400", async () => {
    await assert.rejects(connect(`${base}/chat/bad%20room`), /400/);
    await assert.rejects(connect(`${base}/`, "mqtt"), /400/);
  });
});
