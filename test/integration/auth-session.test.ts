import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { CLOSE } from "../../src/protocol/close-codes.ts";
import type { RunningParley } from "../../src/server.ts";
import { connect } from "../helpers/client.ts";
import { connectJson, ofType } from "../helpers/json.ts";
import { startTestParley } from "../helpers/parley.ts";
import { hsToken, newSecret } from "../helpers/tokens.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("tokens on the open connection: refresh and expiry", () => {
  const secret = newSecret();
  let parley: RunningParley;
  let base: string;
  before(async () => {
    parley = await startTestParley({ authSecret: secret, authClockTolerance: 0 });
    base = `ws://127.0.0.1:${parley.wsPort}`;
  });
  after(() => parley.close());

  test("refreshed before exp, the connection outlives the first token", async () => {
    const c = await connectJson(`${base}/chat/refresh`, await hsToken(secret, { sub: "u-r", name: "ria" }, 2));
    await c.untilJoined("refresh");
    c.send({ type: "auth", token: await hsToken(secret, { sub: "u-r", name: "ria" }, 120) });
    const auth = await c.expect(ofType("auth"));
    assert.ok(Number(auth.exp) > Date.now() / 1000 + 100);
    await sleep(3000); // past the first token's exp
    c.send({ type: "send", text: "still here", cid: "r1" });
    assert.equal((await c.expect(ofType("ack"))).cid, "r1");
    await c.close();
  });

  test("not refreshed, the connection is closed with 4005 (refresh and reconnect); late refreshes fail", async () => {
    const c = await connectJson(`${base}/chat/expire`, await hsToken(secret, { sub: "u-e", name: "eve" }, 2));
    await c.untilJoined("expire");
    // Refused refreshes keep the old token: an expired one, another user's, a forged one.
    c.send({ type: "auth", token: await hsToken(secret, { sub: "u-e", name: "eve" }, -10) });
    assert.equal((await c.expect(ofType("error"))).code, "unauthorized");
    c.send({ type: "auth", token: await hsToken(secret, { sub: "u-other", name: "eve" }, 120) });
    assert.equal((await c.expect(ofType("error"))).code, "unauthorized");
    c.send({ type: "auth", token: await hsToken(newSecret(), { sub: "u-e", name: "eve" }, 120) });
    assert.equal((await c.expect(ofType("error"))).code, "unauthorized");
    const started = Date.now();
    const { code } = await c.raw.closed;
    assert.equal(code, CLOSE.tokenExpired);
    assert.ok(Date.now() - started < 6000, "closed at exp, not much later");
  });

  test("an anonymous connection cannot sign in mid-connection", async () => {
    const c = await connectJson(`${base}/chat/anon`);
    await c.untilJoined("anon");
    c.send({ type: "auth", token: await hsToken(secret, { sub: "u-a", name: "ann" }) });
    assert.equal((await c.expect(ofType("error"))).code, "unauthorized");
    await c.close();
  });
});

describe("reserved names", () => {
  const secret = newSecret();
  let parley: RunningParley;
  let base: string;
  before(async () => {
    parley = await startTestParley({ authSecret: secret });
    base = `ws://127.0.0.1:${parley.wsPort}`;
  });
  after(() => parley.close());

  test("no anonymous client takes a signed-in user's name, case-insensitively, even after they left", async () => {
    const alice = await connectJson(`${base}/chat/names`, await hsToken(secret, { sub: "u-alice", name: "Alice" }));
    assert.equal((await alice.expect(ofType("welcome"))).nick, "Alice");
    const anon = await connectJson(`${base}/chat/names`);
    await anon.untilJoined("names");
    for (const nick of ["Alice", "alice", "ALICE"]) {
      anon.send({ type: "nick", nick });
      assert.equal((await anon.expect(ofType("error"))).code, "nick_taken", nick);
    }
    await alice.close();
    await anon.expect(ofType("presence", { action: "leave", nick: "Alice" }));
    anon.send({ type: "nick", nick: "alice" });
    const error = await anon.expect(ofType("error"));
    assert.equal(error.code, "nick_taken");
    assert.match(String(error.message), /reserved/);
    const text = await connect(`${base}/chat/names`);
    text.send("/nick aLiCe");
    assert.equal(await text.next(), " .... error: The nickname aLiCe is reserved for a signed-in user.");
    anon.send({ type: "nick", nick: "carol" });
    assert.equal((await anon.expect(ofType("nick"))).nick, "carol", "other names stay free");
    await anon.close();
    await text.close();
  });

  test("an anonymous holder of a name yields it when its user signs in; a user cannot rename", async () => {
    const anon = await connectJson(`${base}/chat/yield`);
    await anon.untilJoined("yield");
    anon.send({ type: "nick", nick: "dave" });
    await anon.expect(ofType("nick"));
    const dave = await connectJson(`${base}/chat/yield`, await hsToken(secret, { sub: "u-dave", name: "Dave" }));
    assert.equal((await dave.expect(ofType("welcome"))).nick, "Dave");
    const renamed = await anon.expect(ofType("nick"));
    assert.match(String(renamed.nick), /^user-\d+$/);
    const seen = await anon.expect(ofType("presence", { action: "nick", from: "dave" }));
    assert.equal(seen.nick, renamed.nick);
    dave.send({ type: "nick", nick: "david" });
    assert.equal((await dave.expect(ofType("error"))).code, "forbidden");
    await anon.close();
    await dave.close();
  });

  test("a signed-in text client (token in the query) speaks under its name and cannot /nick", async () => {
    const text = await connect(`${base}/chat/texts?token=${await hsToken(secret, { sub: "u-erin", name: "Erin" })}`);
    text.send("/nick someone");
    assert.match(await text.next(), /^ \.\.\.\. error: .*sign-in/);
    text.send("hello");
    assert.equal(await text.next(), "Erin: hello");
    text.send("/who");
    assert.equal(await text.next(), " .... in texts: Erin.");
    await text.close();
  });
});
