import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { CLOSE } from "../../src/protocol/close-codes.ts";
import type { RunningParley } from "../../src/server.ts";
import { connect } from "../helpers/client.ts";
import { connectJson, type Event, ofType } from "../helpers/json.ts";
import { startTestParley } from "../helpers/parley.ts";
import { parsePrometheus, sampleValue } from "../helpers/prometheus.ts";

describe("a reconnect key takes a nickname back (one node)", () => {
  let parley: RunningParley;
  let base: string;
  before(async () => {
    parley = await startTestParley();
    base = `ws://127.0.0.1:${parley.wsPort}`;
  });
  after(() => parley.close());

  test("while the old connection is still open (half-open, not yet noticed), the new one gets the name at once, without a leave", async () => {
    const room = "back";
    const old = await connectJson(`${base}/chat/${room}`);
    const welcome = await old.expect(ofType("welcome"));
    const key = welcome.reconnectKey as string;
    assert.match(key, /^[\w-]{43}$/, "32 random bytes, base64url");
    await old.untilJoined(room);
    old.send({ type: "nick", nick: "dora" });
    await old.expect(ofType("nick"));
    const watcher = await connectJson(`${base}/chat/${room}`);
    await watcher.untilJoined(room);
    const seen: Event[] = [];
    watcher.raw.ws.on("message", (data) => seen.push(JSON.parse(String(data)) as Event));
    const text = await connect(`${base}/chat/${room}`);

    // What the SDK does after a reconnect: no room yet, the name first, with the previous welcome's key.
    const fresh = await connectJson(`${base}/chat/${room}?autojoin=0`);
    fresh.send({ type: "nick", nick: "dora", reconnectKey: key });
    const next = await fresh.expect(ofType("welcome"));
    assert.notEqual(next.reconnectKey, key, "every connection has its own key");
    assert.equal((await fresh.expect(ofType("nick"))).nick, "dora");
    const closed = await old.raw.closed;
    assert.deepEqual(closed, { code: CLOSE.normal, reason: "replaced by your new connection" });
    fresh.send({ type: "join", room });
    await fresh.untilJoined(room);
    fresh.send({ type: "send", room, text: "back", cid: "b1" });
    await watcher.expect(ofType("message", { text: "back" }));
    assert.equal(await text.next(), "dora: back", "a Cookbook client saw no leave either");
    const aboutDora = seen.filter((e) => e.type === "presence" && (e.nick === "dora" || e.from === "dora"));
    assert.deepEqual(aboutDora, [], "the room saw neither a leave nor a join: dora never left");
    watcher.send({ type: "who", room });
    const members = (await watcher.expect(ofType("presence", { action: "snapshot" }))).members as string[];
    assert.equal(members.filter((m) => m === "dora").length, 1);
    const metrics = parsePrometheus(await (await fetch(`http://127.0.0.1:${parley.port}/metrics`)).text());
    assert.equal(sampleValue(metrics, "parley_nick_requests_total", { result: "reclaimed" }), 1);
    await Promise.all([fresh.close(), watcher.close(), text.close()]);
  });

  test("a wrong key, or a key already used, gets no special treatment: nick_taken", async () => {
    const holder = await connectJson(`${base}/chat/keys`);
    const key = (await holder.expect(ofType("welcome"))).reconnectKey as string;
    holder.send({ type: "nick", nick: "erin" });
    await holder.expect(ofType("nick"));
    const thief = await connectJson(`${base}/chat/keys`);
    await thief.untilJoined("keys");
    // One character off (never the key itself: a key may end in "A" already).
    const oneOff = `${key.slice(0, -1)}${key.endsWith("A") ? "E" : "A"}`;
    for (const wrong of ["wrong", oneOff, ""]) {
      thief.send({ type: "nick", nick: "erin", reconnectKey: wrong });
      assert.equal((await thief.expect(ofType("error"))).code, "nick_taken", wrong);
    }
    const heir = await connectJson(`${base}/chat/keys`);
    await heir.untilJoined("keys");
    heir.send({ type: "nick", nick: "erin", reconnectKey: key });
    await heir.expect(ofType("nick", { nick: "erin" }));
    thief.send({ type: "nick", nick: "erin", reconnectKey: key });
    assert.equal((await thief.expect(ofType("error"))).code, "nick_taken", "a key works once");
    await Promise.all([thief.close(), heir.close()]);
  });
});
