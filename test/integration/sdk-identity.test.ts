// test-runner: alone (counts typing notices over a timed run of keystrokes)
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { AuthChange, ParleyClient, StateChange, TypingNotice } from "parley-client";
import { CLOSE } from "../../src/protocol/close-codes.ts";
import type { RunningParley } from "../../src/server.ts";
import { startTestParley } from "../helpers/parley.ts";
import { nextEvent, recordRoom, sdkClient, stateReached } from "../helpers/sdk.ts";
import { hsToken, newSecret } from "../helpers/tokens.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Everything a client went through, to assert on afterwards. */
const watch = (client: ParleyClient) => {
  const states: StateChange[] = [];
  const auth: AuthChange[] = [];
  client.on("state", (change) => states.push(change));
  client.on("auth", (change) => auth.push(change));
  return { states, auth };
};

describe("SDK sign-in against a real Parley", () => {
  const secret = newSecret();
  let parley: RunningParley;
  let url: string;
  const clients: ParleyClient[] = [];
  const client = (getToken: () => Promise<string>) => {
    const c = sdkClient(url, { getToken });
    clients.push(c);
    return c;
  };
  const user =
    (sub: string, name: string, ttlSec = 300) =>
    () =>
      hsToken(secret, { sub, name }, ttlSec);

  before(async () => {
    // No clock tolerance: a token is dead at its exp, so a missed refresh shows at once.
    parley = await startTestParley({ authSecret: secret, authClockTolerance: 0, typingIntervalMs: 100 });
    url = `ws://127.0.0.1:${parley.port}/chat`;
  });
  after(async () => {
    for (const c of clients) await c.close();
    await parley.close();
  });

  test("a token refreshed before exp keeps the same connection open past the first token's exp", async () => {
    let calls = 0;
    const alice = client(() => {
      calls++;
      return hsToken(secret, { sub: "u-alice", name: "alice" }, 3);
    });
    const seen = watch(alice);
    const room = alice.join("refresh");
    await nextEvent(room, "joined");
    const firstExp = alice.user?.exp ?? 0;
    assert.equal(alice.user?.name, "alice");
    assert.equal(alice.nick, "alice", "a signed-in user's nickname is the token's name");

    await sleep(firstExp * 1000 - Date.now() + 1500); // well past the first token's exp
    const ack = await room.send("still here");
    assert.ok(ack.seq > 0);
    assert.ok((alice.user?.exp ?? 0) > firstExp, "the server holds a later exp");
    assert.ok(calls >= 2, `getToken called again for the refresh (${calls})`);
    assert.deepEqual(
      seen.states.map((s) => s.state),
      ["connecting", "connected"],
      "one connection all along: no reconnect",
    );
    assert.ok(seen.auth.some((a) => a.state === "refreshed"));
  });

  test("a token that expires unrefreshed: closed with 4005, back at once with a fresh one, nothing lost", async () => {
    const stale = await hsToken(secret, { sub: "u-bea", name: "bea" }, 2);
    const staleUntil = JSON.parse(Buffer.from(stale.split(".")[1] ?? "", "base64url").toString()).exp * 1000;
    // The app's token cache hands out the same token until it has expired: the refresh finds nothing fresher.
    const bea = client(async () => (Date.now() < staleUntil ? stale : hsToken(secret, { sub: "u-bea", name: "bea" })));
    const seen = watch(bea);
    const writer = client(user("u-wes", "wes"));
    const reader = recordRoom(bea.join("expiry"));
    const out = writer.join("expiry");
    await Promise.all([nextEvent(out, "joined"), nextEvent(bea.room("expiry") ?? out, "joined")]);

    const reconnecting = nextEvent(bea, "reconnecting", () => true, 10_000);
    const sent: number[] = [];
    let i = 0;
    // Keep writing through the expiry and the reconnect.
    while (Date.now() < staleUntil + 1500) {
      sent.push((await out.send(`m${++i}`)).seq);
      await sleep(50);
    }
    const drop = await reconnecting;
    assert.equal(drop.code, CLOSE.tokenExpired);
    assert.equal(drop.delay, 0, "no backoff for an expired token");
    await stateReached(bea, "connected");
    const last = sent.at(-1) ?? 0;
    await reader.waitForSeq(last);
    const seqs = reader.messages.map((m) => m.seq);
    assert.deepEqual(
      seqs.filter((s) => s >= (sent[0] ?? 0)),
      sent,
      "every message once, in order, across the 4005 reconnect",
    );
    assert.ok((bea.user?.exp ?? 0) * 1000 > staleUntil + 60_000, "signed in again with the fresh token");
    assert.deepEqual(
      seen.states.filter((s) => s.state === "reconnecting").map((s) => s.code),
      [CLOSE.tokenExpired],
    );
  });

  test("typing goes out at most once per 2.5 s however fast one types; others get it with the name", async () => {
    const cat = client(user("u-cat", "cat"));
    const dan = client(user("u-dan", "dan"));
    const catRoom = cat.join("typing");
    const danRoom = dan.join("typing");
    await Promise.all([nextEvent(catRoom, "joined"), nextEvent(danRoom, "joined")]);
    const notices: TypingNotice[] = [];
    danRoom.on("typing", (notice) => notices.push(notice));
    const sentAt: number[] = [];
    const started = Date.now();
    for (let key = 0; key < 30; key++) {
      if (cat.typing("typing")) sentAt.push(Date.now() - started);
      await sleep(100);
    }
    await sleep(300);
    assert.equal(sentAt.length, 2, `sent at ${sentAt} ms`);
    assert.ok((sentAt[1] ?? 0) >= 2500);
    assert.deepEqual(notices, [
      { room: "typing", nick: "cat" },
      { room: "typing", nick: "cat" },
    ]);
    assert.equal(cat.typing("not-joined"), false);
  });

  test("unread counts: two clients of one user agree; marking read on one clears the other; kept across reconnect", async () => {
    const bob = client(user("u-bob", "bob"));
    const news = bob.join("news");
    await nextEvent(news, "joined");
    for (const text of ["one", "two", "three"]) await news.send(text);

    const tab1 = client(user("u-eve", "eve"));
    const tab2 = client(user("u-eve", "eve"));
    const [room1, room2] = [tab1.join("news"), tab2.join("news")];
    await Promise.all([nextEvent(room1, "joined"), nextEvent(room2, "joined")]);
    assert.equal(tab1.unread("news"), 3, "never read: everything is unread");
    assert.equal(tab2.unread("news"), 3);

    const both = Promise.all([
      nextEvent(tab1, "unread", (u) => u.count === 4),
      nextEvent(tab2, "unread", (u) => u.count === 4),
    ]);
    await news.send("four");
    await both;

    const cleared = nextEvent(tab2, "unread", (u) => u.room === "news" && u.count === 0);
    assert.equal(tab1.read("news"), true);
    assert.equal(tab1.unread("news"), 0, "at once on the device that read");
    await cleared; // and on the other, from the server
    assert.equal(tab2.unread("news"), 0);

    await Promise.all([tab1.close(), tab2.close()]);
    await news.send("five");
    await news.send("six");
    const later = client(user("u-eve", "eve"));
    await stateReached(later, "connected");
    assert.deepEqual(later.unreadCounts(), { news: 2 }, "welcome: the stored position, in another connection");
    const room3 = later.join("news");
    await nextEvent(room3, "joined");
    assert.equal(later.unread("news"), 2);

    const anonymous = sdkClient(url);
    clients.push(anonymous);
    await nextEvent(anonymous.join("news"), "joined");
    assert.equal(anonymous.read("news"), false, "anonymous users have no read position");
    assert.equal(anonymous.unread("news"), undefined);
  });

  test("unread counts new messages only: an edit and a reaction by others after a message leave 1 unread, not 3", async () => {
    const bob = client(user("u-bob-2", "bob2"));
    const carol = client(user("u-carol-2", "carol2"));
    const eve = client(user("u-eve-2", "eve2"));
    const [bobRoom, carolRoom, eveRoom] = [bob.join("talk"), carol.join("talk"), eve.join("talk")];
    await Promise.all([nextEvent(bobRoom, "joined"), nextEvent(carolRoom, "joined"), nextEvent(eveRoom, "joined")]);
    await bobRoom.send("earlier");
    await nextEvent(eveRoom, "message");
    assert.equal(eve.read("talk"), true);
    assert.equal(eve.unread("talk"), 0);

    const counted = nextEvent(eve, "unread", (u) => u.room === "talk" && u.count === 1);
    const hello = await bobRoom.send("hello");
    await counted;
    const updates = [
      nextEvent(eveRoom, "update", (u) => u.kind === "edit"),
      nextEvent(eveRoom, "update", (u) => u.kind === "react"),
    ];
    await bobRoom.edit(hello.seq, "hello, edited");
    await carolRoom.react(hello.seq, "👍");
    await Promise.all(updates);
    assert.equal(eve.unread("talk"), 1, "live: the edit and the reaction are no new messages");

    const later = client(user("u-eve-2", "eve2"));
    await stateReached(later, "connected");
    assert.deepEqual(later.unreadCounts(), { talk: 1 }, "welcome, from the server");
    const again = later.join("talk");
    await nextEvent(again, "joined");
    assert.equal(later.unread("talk"), 1, "joined, from the server");
    assert.equal(later.read("talk", hello.seq), true);
    assert.equal(later.unread("talk"), 0, "read up to the message: what follows it is no message");
  });

  test("a refused token: signed-out with the HTTP status, backoff, and in with the next good token", async () => {
    const required = await startTestParley({ authSecret: secret, auth: "required" });
    let forged = true;
    const fay = sdkClient(`ws://127.0.0.1:${required.port}/chat`, {
      getToken: () =>
        forged ? hsToken(newSecret(), { sub: "u-fay", name: "fay" }) : hsToken(secret, { sub: "u-fay", name: "fay" }),
    });
    try {
      const out = await nextEvent(fay, "auth", (a) => a.state === "signed-out");
      assert.equal(out.status, 401);
      const retry = await nextEvent(fay, "reconnecting");
      assert.equal(retry.code, 1006);
      forged = false;
      await stateReached(fay, "connected");
      assert.equal(fay.user?.id, "u-fay");
      await assert.rejects(fay.setNick("mallory"), (error: Error & { code?: string }) => error.code === "forbidden");
      assert.equal(fay.nick, "fay");
    } finally {
      await fay.close();
      await required.close();
    }
  });
});
