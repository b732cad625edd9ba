import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { RunningParley } from "../../src/server.ts";
import { connect } from "../helpers/client.ts";
import { connectJson, type Event, historyMessages, ofType } from "../helpers/json.ts";
import { startTestParley } from "../helpers/parley.ts";
import { hsToken, newSecret } from "../helpers/tokens.ts";

type Shown = Record<string, unknown>;

/** What a client shows: each message by seq in its latest state, from messages, pages and change events. */
const view = () => {
  const bySeq = new Map<number, Shown>();
  let last = 0;
  const apply = (e: Event): void => {
    if (e.type === "message") bySeq.set(e.seq as number, stateOf(e));
    else if (e.type === "history") {
      for (const m of e.messages as Shown[]) bySeq.set(m.seq as number, m);
      for (const c of (e.changes as Event[] | undefined) ?? []) apply(c);
    } else if (["edit", "delete", "react"].includes(e.type)) bySeq.set(e.seq as number, e.message as Shown);
    else return;
    for (const seq of [e.at, e.seq, ...((e.messages as Shown[] | undefined) ?? []).map((m) => m.seq)]) {
      if (typeof seq === "number" && seq > last) last = seq;
    }
    for (const c of (e.changes as Event[] | undefined) ?? []) last = Math.max(last, c.at as number);
  };
  return { bySeq, apply, last: () => last };
};

const stateOf = (e: Event): Shown => {
  const { type: _type, ...message } = e;
  return message;
};

describe("conversations: edit, delete, react, reply, mention", () => {
  const secret = newSecret();
  let parley: RunningParley;
  let base: string;
  before(async () => {
    parley = await startTestParley({ authSecret: secret });
    base = `ws://127.0.0.1:${parley.wsPort}`;
  });
  after(() => parley.close());

  test("an edit reaches everyone live (text clients as a ' .... ' line), history shows the final text", async () => {
    const room = "conv-edit";
    const text = await connect(`${base}/chat/${room}`);
    const alice = await connectJson(`${base}/chat/${room}`);
    await alice.untilJoined(room);
    alice.send({ type: "send", text: "helo wrold", cid: "m1" });
    const sent = await alice.expect(ofType("ack", { cid: "m1" }));
    const message = await alice.expect(ofType("message", { seq: sent.seq }));
    assert.equal(await text.next(), `${message.nick}: helo wrold`, "a plain message stays byte for byte");
    alice.send({ type: "edit", room, seq: sent.seq, text: "hello world", cid: "e1" });
    const ack = await alice.expect(ofType("ack", { cid: "e1" }));
    assert.equal(ack.seq, 2, "the edit has its own seq");
    const edit = await alice.expect(ofType("edit"));
    assert.deepEqual([edit.seq, edit.at, edit.nick], [1, 2, message.nick]);
    const shown = edit.message as Shown;
    assert.equal(shown.text, "hello world");
    assert.equal(typeof shown.edited, "number");
    assert.equal(await text.next(), ` .... ${message.nick} edited: hello world`);

    const late = await connectJson(`${base}/chat/${room}`);
    const { history, joined } = await late.untilJoined(room);
    assert.equal(joined.lastSeq, 2);
    assert.deepEqual(
      historyMessages(history).map((m) => [m.seq, m.text, typeof m.edited]),
      [[1, "hello world", "number"]],
      "a page holds messages in their current state; the old text is nowhere",
    );
    assert.equal(JSON.stringify(history).includes("helo wrold"), false);
    await Promise.all([text.close(), alice.close(), late.close()]);
  });

  test("someone else's message: edit and delete are refused (forbidden, with the cid); an anonymous author's ownership ends with its connection", async () => {
    const room = "conv-perm";
    const author = await connectJson(`${base}/chat/${room}`);
    await author.untilJoined(room);
    const other = await connectJson(`${base}/chat/${room}`);
    await other.untilJoined(room);
    author.send({ type: "send", text: "mine", cid: "a" });
    const { seq } = await author.expect(ofType("ack", { cid: "a" }));
    other.send({ type: "edit", room, seq, text: "yours now", cid: "x1" });
    const refused = await other.expect(ofType("error", { cid: "x1" }));
    assert.equal(refused.code, "forbidden");
    other.send({ type: "delete", room, seq, cid: "x2" });
    assert.equal((await other.expect(ofType("error", { cid: "x2" }))).code, "forbidden");
    other.send({ type: "edit", room, seq: 99, text: "?", cid: "x3" });
    assert.equal((await other.expect(ofType("error", { cid: "x3" }))).code, "not_found");
    await author.close();
    const again = await connectJson(`${base}/chat/${room}`);
    await again.untilJoined(room);
    again.send({ type: "delete", room, seq, cid: "x4" });
    assert.equal((await again.expect(ofType("error", { cid: "x4" }))).code, "forbidden");
    await Promise.all([other.close(), again.close()]);
  });

  test("a signed-in user owns their messages on every connection; a delete is a tombstone for all", async () => {
    const room = "conv-del";
    const token = await hsToken(secret, { sub: "u-del", name: "deleter" });
    const phone = await connectJson(`${base}/chat/${room}`, token);
    await phone.untilJoined(room);
    const text = await connect(`${base}/chat/${room}`);
    phone.send({ type: "send", text: "oops, wrong room", cid: "d1" });
    const { seq } = await phone.expect(ofType("ack", { cid: "d1" }));
    assert.equal(await text.next(), "deleter: oops, wrong room");
    const laptop = await connectJson(`${base}/chat/${room}`, token);
    await laptop.untilJoined(room);
    laptop.send({ type: "delete", room, seq, cid: "d2" });
    await laptop.expect(ofType("ack", { cid: "d2" }));
    const del = await phone.expect(ofType("delete"));
    assert.deepEqual(del.message, {
      room,
      seq,
      id: (del.message as Shown).id,
      nick: "deleter",
      text: "",
      ts: (del.message as Shown).ts,
      deleted: true,
    });
    assert.equal(await text.next(), " .... deleter deleted a message.");
    laptop.send({ type: "edit", room, seq, text: "back", cid: "d3" });
    assert.equal((await laptop.expect(ofType("error", { cid: "d3" }))).code, "not_found");
    await Promise.all([phone.close(), laptop.close(), text.close()]);
  });

  test("reactions toggle, carry who reacted, accept one Unicode emoji only; text clients hear nothing of them", async () => {
    const room = "conv-react";
    const text = await connect(`${base}/chat/${room}`);
    const a = await connectJson(`${base}/chat/${room}`);
    await a.untilJoined(room);
    const b = await connectJson(`${base}/chat/${room}`);
    await b.untilJoined(room);
    a.send({ type: "send", text: "pizza?", cid: "p" });
    const { seq } = await a.expect(ofType("ack", { cid: "p" }));
    const line = await text.next();
    b.send({ type: "react", room, seq, emoji: "🍕", cid: "r1" });
    const on = await a.expect(ofType("react"));
    const bNick = on.nick as string;
    assert.deepEqual(
      [on.emoji, on.on, (on.message as Shown).reactions],
      ["🍕", true, [{ emoji: "🍕", nicks: [bNick] }]],
    );
    b.send({ type: "react", room, seq, emoji: "🍕", cid: "r2" });
    const off = await a.expect(ofType("react"));
    assert.deepEqual([off.on, (off.message as Shown).reactions], [false, undefined]);
    for (const [emoji, cid] of [
      [":)", "bad1"],
      ["👍👍", "bad2"],
      ["a", "bad3"],
    ]) {
      b.send({ type: "react", room, seq, emoji, cid });
      assert.equal((await b.expect(ofType("error", { cid }))).code, "bad_request", emoji);
    }
    a.send({ type: "send", text: "after", cid: "q" });
    await a.expect(ofType("ack", { cid: "q" }));
    assert.match(line, /: pizza\?$/);
    assert.match(await text.next(), /: after$/, "the reactions sent the text client nothing");
    await Promise.all([a.close(), b.close(), text.close()]);
  });

  test("a reply names its parent's seq, also when the parent is older than the page", async () => {
    const room = "conv-reply";
    const a = await connectJson(`${base}/chat/${room}`);
    await a.untilJoined(room);
    a.send({ type: "send", text: "question", cid: "q" });
    const parent = await a.expect(ofType("ack", { cid: "q" }));
    for (let i = 0; i < 3; i++) a.send({ type: "send", text: `filler ${i}` });
    a.send({ type: "send", text: "answer", cid: "ans", replyTo: parent.seq });
    await a.expect(ofType("ack", { cid: "ans" }));
    const reply = await a.expect(ofType("message", { text: "answer" }));
    assert.equal(reply.replyTo, parent.seq);
    const late = await connectJson(`${base}/chat/${room}?autojoin=0`);
    await late.expect(ofType("welcome"));
    late.send({ type: "join", room, limit: 1 });
    const page = historyMessages((await late.untilJoined(room)).history);
    assert.deepEqual(
      page.map((m) => [m.text, m.replyTo]),
      [["answer", parent.seq]],
    );
    late.send({ type: "history", room, before: (parent.seq as number) + 1, limit: 1 });
    const older = await late.expect(ofType("history"));
    assert.equal((older.messages as Shown[])[0]?.text, "question", "the quoted parent is one history read away");
    await Promise.all([a.close(), late.close()]);
  });

  test("@nick reaches the signed-in user on every connection, in a room they are not looking at", async () => {
    const token = await hsToken(secret, { sub: "u-men", name: "mentioned" });
    const one = await connectJson(`${base}/chat/elsewhere`, token);
    await one.untilJoined("elsewhere");
    const two = await connectJson(`${base}/chat/elsewhere-too`, token);
    await two.untilJoined("elsewhere-too");
    const sender = await connectJson(`${base}/chat/conv-mention`);
    await sender.untilJoined("conv-mention");
    sender.send({ type: "send", text: "hey @mentioned, look", cid: "m" });
    const { seq } = await sender.expect(ofType("ack", { cid: "m" }));
    for (const device of [one, two]) {
      const mention = await device.expect(ofType("mention"));
      assert.deepEqual(
        [mention.room, mention.seq, mention.text, mention.mentions],
        ["conv-mention", seq, "hey @mentioned, look", 1],
      );
    }
    // The count is durable: a new connection's welcome has it beside the unread counts; reading clears it.
    const three = await connectJson(`${base}/chat/elsewhere`, token);
    assert.deepEqual((await three.expect(ofType("welcome"))).mentions, { "conv-mention": 1 });
    await three.untilJoined("elsewhere");
    three.send({ type: "read", room: "conv-mention", seq });
    await three.expect(ofType("read", { room: "conv-mention" }));
    const four = await connectJson(`${base}/chat/elsewhere`, token);
    assert.equal((await four.expect(ofType("welcome"))).mentions, undefined, "read: no mention left");
    await Promise.all([three.close(), four.close()]);
    sender.send({ type: "send", text: "@room hello", cid: "r1" });
    await sender.expect(ofType("ack", { cid: "r1" }));
    sender.send({ type: "send", text: "@here again", cid: "r2" });
    const limited = await sender.expect(ofType("error", { code: "rate_limited" }));
    assert.equal(limited.room, "conv-mention");
    await Promise.all([one.close(), two.close(), sender.close()]);
  });

  test("a client resuming with since ends in the state of one that stayed connected", async () => {
    const room = "conv-resume";
    const stayed = await connectJson(`${base}/chat/${room}`);
    await stayed.untilJoined(room);
    const steady = view();
    const author = await connectJson(`${base}/chat/${room}`);
    await author.untilJoined(room);
    const roamer = await connectJson(`${base}/chat/${room}?autojoin=0`);
    await roamer.expect(ofType("welcome"));
    roamer.send({ type: "join", room });
    const roaming = view();
    for (const e of (await roamer.untilJoined(room)).history) roaming.apply(e);
    const ops: Array<Record<string, unknown>> = [
      { type: "send", text: "one" },
      { type: "send", text: "two" },
      { type: "edit", room, seq: 1, text: "one!" },
      { type: "react", room, seq: 2, emoji: "🎉" },
      { type: "send", text: "three", replyTo: 1 },
      { type: "delete", room, seq: 2 },
      { type: "edit", room, seq: 1, text: "one!!" },
      { type: "react", room, seq: 1, emoji: "👍" },
    ];
    let i = 0;
    for (const op of ops) {
      if (i === 3) {
        await roamer.close();
      }
      author.send({ ...op, cid: `op${i}` });
      await author.expect(ofType("ack", { cid: `op${i}` }));
      if (i < 3) roaming.apply(await roamer.expect((e) => e.at === i + 1 || e.seq === i + 1));
      i++;
    }
    for (let seen = 0; seen < ops.length; ) {
      const e = await stayed.expect((x) => ["message", "edit", "delete", "react"].includes(x.type));
      steady.apply(e);
      seen++;
    }
    const back = await connectJson(`${base}/chat/${room}?autojoin=0`);
    await back.expect(ofType("welcome"));
    back.send({ type: "join", room, since: roaming.last() });
    const { history, joined } = await back.untilJoined(room);
    for (const e of history) roaming.apply(e);
    assert.equal((joined.resume as Shown).complete, true);
    assert.deepEqual(roaming.bySeq, steady.bySeq);
    assert.equal(steady.bySeq.get(2)?.deleted, true);
    assert.equal(steady.bySeq.get(1)?.text, "one!!");
    await Promise.all([stayed.close(), author.close(), back.close()]);
  });
});
