import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { CLOSE } from "../../src/protocol/close-codes.ts";
import type { RunningParley } from "../../src/server.ts";
import { connect, type TestClient } from "../helpers/client.ts";
import { handshake } from "../helpers/handshake.ts";
import { connectJson, type Event, type JsonClient, ofType } from "../helpers/json.ts";
import { startTestParley } from "../helpers/parley.ts";
import { hsToken, newSecret } from "../helpers/tokens.ts";

/** Nothing of the vault in what a non-member received, except the refusals of its own probes. */
const assertNoLeak = (who: string, frames: readonly string[]) => {
  for (const frame of frames) {
    assert.ok(!frame.includes("SECRET"), `${who} saw a vault message: ${frame}`);
    assert.ok(!frame.includes("insider"), `${who} saw the vault's member: ${frame}`);
    if (frame.startsWith("{")) {
      const event = JSON.parse(frame) as Event;
      if (event.room === "vault") assert.equal(event.type, "error", `${who} got ${frame}`);
    }
  }
};

describe("private rooms: nothing leaks to a non-member", () => {
  const secret = newSecret();
  let parley: RunningParley;
  let base: string;
  before(async () => {
    parley = await startTestParley({ authSecret: secret, privateRooms: "vault", typingIntervalMs: 50 });
    base = `ws://127.0.0.1:${parley.wsPort}`;
  });
  after(() => parley.close());

  test("live messages, history, since resume, presence, who, /who, typing, read: all refused or silent", async () => {
    const insiderToken = await hsToken(secret, { sub: "u-in", name: "insider", rooms: ["vault"] });
    const insider = await connectJson(`${base}/chat/vault`, insiderToken);
    await insider.untilJoined("vault");
    insider.send({ type: "send", text: "SECRET-1", cid: "s1" });
    await insider.expect(ofType("ack", { cid: "s1" }));

    const outsider = await connectJson(`${base}/chat/lobby`, await hsToken(secret, { sub: "u-out", name: "outsider" }));
    const anon = await connectJson(`${base}/chat/lobby`);
    const text = await connect(`${base}/chat/lobby`);
    await outsider.untilJoined("lobby");
    await anon.untilJoined("lobby");

    for (const probe of [outsider, anon]) {
      const refused = async (frame: Record<string, unknown>, code: string) => {
        probe.send(frame);
        const error = await probe.expect(ofType("error"));
        assert.equal(error.code, code, JSON.stringify(frame));
      };
      await refused({ type: "join", room: "vault" }, "forbidden");
      await refused({ type: "join", room: "vault", since: 0 }, "forbidden");
      await refused({ type: "who", room: "vault" }, "forbidden");
      await refused({ type: "history", room: "vault", before: 100 }, "not_in_room");
      await refused({ type: "send", room: "vault", text: "let me in" }, "not_in_room");
      await refused({ type: "typing", room: "vault" }, "not_in_room");
      await refused({ type: "read", room: "vault", seq: 1 }, probe === anon ? "unauthorized" : "forbidden");
    }
    const outsiderToken = await hsToken(secret, { sub: "u-out", name: "outsider" });
    assert.equal((await handshake(`${base}/chat/vault?since=0&token=${outsiderToken}`)).status, 403);
    assert.equal((await handshake(`${base}/chat/vault?since=0`)).status, 401);

    // The vault goes on meanwhile: live messages, a second tab coming and going, typing.
    insider.send({ type: "send", text: "SECRET-2", cid: "s2" });
    await insider.expect(ofType("ack", { cid: "s2" }));
    insider.send({ type: "typing" });
    const tab = await connectJson(`${base}/chat/vault`, insiderToken);
    await tab.untilJoined("vault");
    await tab.close();
    const third = await connectJson(
      `${base}/chat/vault`,
      await hsToken(secret, { sub: "u-3", name: "insider-3", rooms: ["*"] }),
    );
    await third.untilJoined("vault");
    insider.send({ type: "read", room: "vault", seq: 2 });
    await insider.expect(ofType("read", { room: "vault" }));

    text.send("/who");
    const who = await text.next();
    assert.match(who, /^ \.\.\.\. in lobby: /);
    // A sync point: once each probe sees its own lobby message, everything before it was delivered.
    text.send("sync");
    await text.nextMatching((f) => f.endsWith(": sync"));
    for (const [i, probe] of [outsider, anon].entries()) {
      probe.send({ type: "send", text: `sync-${i}`, cid: `sync-${i}` });
      await probe.expect((e) => e.type === "message" && e.text === `sync-${i}`);
    }
    assertNoLeak("outsider", outsider.raw.frames);
    assertNoLeak("anonymous", anon.raw.frames);
    assertNoLeak("text", text.frames);
    for (const c of [insider, outsider, anon, third]) await c.close();
    await text.close();
  });

  test("a room made private at run time puts out those it does not admit", async () => {
    const granted = await connectJson(
      `${base}/chat/closing`,
      await hsToken(secret, { sub: "u-g", name: "granted", rooms: ["closing"] }),
    );
    const json = await connectJson(`${base}/chat/closing`, await hsToken(secret, { sub: "u-n", name: "nogrant" }));
    const text: TestClient = await connect(`${base}/chat/closing`);
    await granted.untilJoined("closing");
    await json.untilJoined("closing");
    await parley.service.userAccess.setRoomPrivate("closing", true);
    assert.equal((await json.expect(ofType("error", { room: "closing" }))).code, "forbidden");
    await json.expect(ofType("left", { room: "closing" }));
    assert.equal((await text.closed).code, CLOSE.kicked);
    granted.send({ type: "send", text: "SECRET-after", cid: "a" });
    await granted.expect(ofType("message", { text: "SECRET-after" }));
    json.send({ type: "send", room: "closing", text: "x" });
    assert.equal((await json.expect(ofType("error"))).code, "not_in_room");
    assert.ok(!json.raw.frames.some((f) => f.includes("SECRET")));
    await granted.close();
    await json.close();
  });

  test("a refresh that no longer grants a private room takes the connection out of it", async () => {
    const c: JsonClient = await connectJson(
      `${base}/chat/vault`,
      await hsToken(secret, { sub: "u-f", name: "fred", rooms: ["vault"] }),
    );
    await c.untilJoined("vault");
    c.send({ type: "auth", token: await hsToken(secret, { sub: "u-f", name: "fred", rooms: [] }) });
    await c.expect(ofType("auth"));
    assert.equal((await c.expect(ofType("error", { room: "vault" }))).code, "forbidden");
    await c.expect(ofType("left", { room: "vault" }));
    await c.close();
  });

  test("a user's connection whose token lacks the grant hears nothing of the room's read position", async () => {
    const withGrant = await connectJson(
      `${base}/chat/vault`,
      await hsToken(secret, { sub: "u-two", name: "two", rooms: ["vault"] }),
    );
    await withGrant.untilJoined("vault");
    withGrant.send({ type: "send", text: "SECRET-3", cid: "t" });
    await withGrant.expect(ofType("ack"));
    const without = await connectJson(`${base}/chat/lobby`, await hsToken(secret, { sub: "u-two", name: "two" }));
    await without.untilJoined("lobby");
    withGrant.send({ type: "read", room: "vault", seq: 1 });
    await withGrant.expect(ofType("read", { room: "vault" }));
    const again = await connectJson(`${base}/chat/lobby`, await hsToken(secret, { sub: "u-two", name: "two" }));
    const welcome = await again.expect(ofType("welcome"));
    assert.deepEqual(welcome.unread, {}, "the vault's unread count is not shown without the grant");
    without.send({ type: "send", text: "sync-two", cid: "sync-two" });
    await without.expect((e) => e.type === "message" && e.text === "sync-two");
    assertNoLeak("the same user's other connection", without.raw.frames);
    for (const c of [withGrant, without, again]) await c.close();
  });
});
