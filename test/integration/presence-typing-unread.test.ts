import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { RunningParley } from "../../src/server.ts";
import { connect } from "../helpers/client.ts";
import { connectJson, historyMessages, ofType } from "../helpers/json.ts";
import { startTestParley, tempDir } from "../helpers/parley.ts";
import { hsToken, newSecret } from "../helpers/tokens.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("one presence per person, typing", () => {
  const secret = newSecret();
  let parley: RunningParley;
  let base: string;
  before(async () => {
    parley = await startTestParley({ authSecret: secret, typingIntervalMs: 400 });
    base = `ws://127.0.0.1:${parley.wsPort}`;
  });
  after(() => parley.close());

  test("three connections of one user are one member: joined with the first, left after the last", async () => {
    const observer = await connectJson(`${base}/chat/tabs`);
    await observer.untilJoined("tabs");
    const text = await connect(`${base}/chat/tabs`);
    const token = await hsToken(secret, { sub: "u-tabs", name: "tabby" });
    const tabs = [];
    for (let i = 0; i < 3; i++) {
      const tab = await connectJson(`${base}/chat/tabs`, token);
      const { joined } = await tab.untilJoined("tabs");
      assert.equal(joined.type, "joined");
      tabs.push(tab);
    }
    const snapshot = await tabs[2]?.expect(ofType("presence", { action: "snapshot" }), 50).catch(() => undefined);
    assert.equal(snapshot, undefined, "the snapshot came before joined");
    observer.send({ type: "who" });
    const who = await observer.expect(ofType("presence", { action: "snapshot" }));
    assert.equal((who.members as string[]).filter((n) => n === "tabby").length, 1);
    assert.equal((who.members as string[]).length, 3, "observer, the text client, tabby once");

    await tabs[0]?.close();
    await tabs[1]?.close();
    observer.send({ type: "who" });
    assert.ok(
      ((await observer.expect(ofType("presence", { action: "snapshot" }))).members as string[]).includes("tabby"),
    );
    await tabs[2]?.close();
    await observer.expect(ofType("presence", { action: "leave", nick: "tabby" }));
    assert.equal(await text.next(), " .... tabby has left.", "the text client hears one leave, after the last tab");

    const presence = observer.raw.frames
      .map((f) => JSON.parse(f) as Record<string, unknown>)
      .filter((e) => e.type === "presence" && e.nick === "tabby");
    assert.deepEqual(
      presence.map((e) => e.action),
      ["join", "leave"],
      "one join, one leave for three tabs",
    );
    await observer.close();
    await text.close();
  });

  test("typing: relayed to the room's other JSON members only, at most once per interval", async () => {
    const token = await hsToken(secret, { sub: "u-typer", name: "typer" });
    const typer = await connectJson(`${base}/chat/typing`, token);
    const typerTab = await connectJson(`${base}/chat/typing`, token);
    const reader = await connectJson(`${base}/chat/typing`);
    const text = await connect(`${base}/chat/typing`);
    for (const c of [typer, typerTab, reader]) await c.untilJoined("typing");
    for (let i = 0; i < 5; i++) typer.send({ type: "typing" });
    typerTab.send({ type: "typing", room: "typing" });
    const first = await reader.expect(ofType("typing"));
    assert.deepEqual(first, { type: "typing", room: "typing", nick: "typer" });
    await sleep(450);
    typer.send({ type: "typing" });
    await reader.expect(ofType("typing"));
    reader.send({ type: "send", text: "sync", cid: "sync" });
    await reader.expect(ofType("message", { text: "sync" }));
    await typer.expect(ofType("message", { text: "sync" }));
    await typerTab.expect(ofType("message", { text: "sync" }));
    const count = (frames: string[]) => frames.filter((f) => f.includes('"type":"typing"')).length;
    assert.equal(count(reader.raw.frames), 2, "six notices in the first interval are one relay; then one more");
    assert.equal(count(typer.raw.frames) + count(typerTab.raw.frames), 0, "never back to the typer's own tabs");
    const readerNick = (JSON.parse(String(reader.raw.frames[0])) as { nick: string }).nick;
    await text.nextMatching((f) => f === `${readerNick}: sync`);
    assert.deepEqual(text.frames, [`${readerNick}: sync`], "text clients get no typing");

    // never stored: a newcomer's history holds the message, no typing
    const late = await connectJson(`${base}/chat/typing`);
    const { history } = await late.untilJoined("typing");
    assert.deepEqual(
      historyMessages(history).map((m) => m.text),
      ["sync"],
      "only the message was stored",
    );
    for (const c of [typer, typerTab, reader, late]) await c.close();
    await text.close();
  });
});

describe("read positions and unread counts", () => {
  test("kept per user across reconnects and a restart; marking read on one tab updates the others", async () => {
    const secret = newSecret();
    const dataDir = tempDir();
    let parley = await startTestParley({ authSecret: secret, dataDir });
    let base = `ws://127.0.0.1:${parley.wsPort}`;
    const token = await hsToken(secret, { sub: "u-reader", name: "reader" });
    const poster = await connectJson(`${base}/chat/news`);
    await poster.untilJoined("news");
    for (let i = 1; i <= 5; i++) {
      poster.send({ type: "send", text: `news ${i}`, cid: `n${i}` });
      await poster.expect(ofType("ack", { cid: `n${i}` }));
    }
    const phone = await connectJson(`${base}/chat/news`, token);
    const laptop = await connectJson(`${base}/chat/news`, token);
    assert.deepEqual((await phone.expect(ofType("welcome"))).unread, {}, "no read position yet");
    assert.equal((await phone.untilJoined("news")).joined.unread, 5, "never read: all of it");
    await laptop.untilJoined("news");
    phone.send({ type: "read", room: "news", seq: 2 });
    assert.deepEqual(await phone.expect(ofType("read")), { type: "read", room: "news", seq: 2, unread: 3 });
    assert.deepEqual(await laptop.expect(ofType("read")), { type: "read", room: "news", seq: 2, unread: 3 });
    phone.send({ type: "read", room: "news", seq: 1 });
    assert.equal((await phone.expect(ofType("read"))).seq, 2, "a position never moves back");
    phone.send({ type: "read", room: "news", seq: 999 });
    assert.equal((await phone.expect(ofType("read"))).seq, 5, "clamped to the room's last message");
    phone.send({ type: "read", room: "news", seq: 3 });
    await phone.expect(ofType("read"));
    await phone.close();
    await laptop.close();
    await poster.close();
    await parley.close();

    // Durable: a restarted server on the same data still knows; new messages count as unread.
    parley = await startTestParley({ authSecret: secret, dataDir });
    base = `ws://127.0.0.1:${parley.wsPort}`;
    try {
      const again = await connectJson(`${base}/chat/lobby`, token);
      assert.deepEqual((await again.expect(ofType("welcome"))).unread, { news: 0 });
      const poster2 = await connectJson(`${base}/chat/news`);
      await poster2.untilJoined("news");
      for (const cid of ["n6", "n7"]) {
        poster2.send({ type: "send", text: cid, cid });
        await poster2.expect(ofType("ack", { cid }));
      }
      again.send({ type: "join", room: "news" });
      assert.equal((await again.untilJoined("news")).joined.unread, 2);
      const reconnected = await connectJson(`${base}/chat/lobby`, token);
      assert.deepEqual((await reconnected.expect(ofType("welcome"))).unread, { news: 2 });
      const anon = await connectJson(`${base}/chat/lobby`);
      const anonWelcome = await anon.expect(ofType("welcome"));
      assert.equal(anonWelcome.unread, undefined, "anonymous clients keep no read positions");
      anon.send({ type: "read", room: "news", seq: 1 });
      assert.equal((await anon.expect(ofType("error"))).code, "unauthorized");
      for (const c of [again, poster2, reconnected, anon]) await c.close();
    } finally {
      await parley.close();
    }
  });
});
