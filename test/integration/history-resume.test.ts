import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { RunningParley } from "../../src/server.ts";
import { spawnParley } from "../helpers/child.ts";
import { connect } from "../helpers/client.ts";
import { connectJson, type Event, historyMessages, type JsonClient, ofType } from "../helpers/json.ts";
import { startTestParley, tempDir } from "../helpers/parley.ts";

/** Sends `count` messages from `sender` (waiting for every ack) and returns the acks' seqs. */
const sendMany = async (sender: JsonClient, room: string, count: number, prefix: string): Promise<number[]> => {
  for (let i = 0; i < count; i++) sender.send({ type: "send", room, text: `${prefix}${i}`, cid: `${prefix}${i}` });
  const seqs: number[] = [];
  for (let i = 0; i < count; i++) seqs.push((await sender.expect(ofType("ack", { room }), 20000)).seq as number);
  return seqs;
};

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe("ordering, history and exact resume", () => {
  let parley: RunningParley;
  let base: string;
  before(async () => {
    parley = await startTestParley({ historyLimit: 50 });
    base = `ws://127.0.0.1:${parley.wsPort}`;
  });
  after(() => parley.close());

  test("two clients, two senders, 500 messages: identical sequences 1..500 with no gap", async () => {
    const a = await connectJson(`${base}/chat/order`);
    const b = await connectJson(`${base}/chat/order`);
    await a.untilJoined("order");
    await b.untilJoined("order");
    const seen = { a: [] as number[], b: [] as number[] };
    const collect = async (client: JsonClient, into: number[]) => {
      while (into.length < 500) into.push((await client.expect(ofType("message"), 20000)).seq as number);
    };
    const collecting = Promise.all([collect(a, seen.a), collect(b, seen.b)]);
    for (let i = 0; i < 250; i++) {
      a.send({ type: "send", text: `a${i}` });
      b.send({ type: "send", text: `b${i}` });
    }
    await collecting;
    assert.deepEqual(seen.a, range(1, 500));
    assert.deepEqual(seen.b, seen.a);
    await a.close();
    await b.close();
  });

  test("a joiner gets the last N messages, then live ones, with no duplicate between them", async () => {
    const sender = await connectJson(`${base}/chat/page`);
    await sender.untilJoined("page");
    await sendMany(sender, "page", 60, "p");
    const joiner = await connectJson(`${base}/chat/page`);
    const { history, joined } = await joiner.untilJoined("page");
    assert.deepEqual(
      historyMessages(history).map((m) => m.seq),
      range(11, 60),
    );
    assert.equal(historyMessages(history).at(-1)?.text, "p59");
    assert.equal(joined.lastSeq, 60);
    sender.send({ type: "send", text: "live" });
    const live = await joiner.expect(ofType("message"));
    assert.equal(live.seq, 61);
    assert.equal(live.text, "live");
    await sender.close();
    await joiner.close();
  });

  test("messages sent while a client is joining arrive once, in order, after its history", async () => {
    const sender = await connectJson(`${base}/chat/racing`);
    await sender.untilJoined("racing");
    await sendMany(sender, "racing", 20, "r");
    for (let i = 0; i < 100; i++) sender.send({ type: "send", text: `during${i}` });
    const joiner = await connectJson(`${base}/chat/racing?since=0`);
    const { history, joined } = await joiner.untilJoined("racing");
    const seqs = historyMessages(history).map((m) => m.seq as number);
    while ((seqs.at(-1) ?? 0) < 120) seqs.push((await joiner.expect(ofType("message"))).seq as number);
    assert.deepEqual(seqs, range(1, 120));
    assert.equal((joined.resume as Record<string, unknown>).complete, true);
    await sender.close();
    await joiner.close();
  });

  test("reconnect with since: exactly the 200 missed messages, then live", async () => {
    const reader = await connectJson(`${base}/chat/resume`);
    const sender = await connectJson(`${base}/chat/resume`);
    await reader.untilJoined("resume");
    await sender.untilJoined("resume");
    await sendMany(sender, "resume", 5, "before");
    let last = 0;
    while (last < 5) last = (await reader.expect(ofType("message"))).seq as number;
    await reader.close();
    await sendMany(sender, "resume", 200, "missed");
    const back = await connectJson(`${base}/chat/resume?since=${last}`);
    const { history, joined } = await back.untilJoined("resume");
    const missed = historyMessages(history);
    assert.deepEqual(
      missed.map((m) => m.seq),
      range(6, 205),
    );
    assert.deepEqual(
      missed.map((m) => m.text),
      range(0, 199).map((i) => `missed${i}`),
    );
    assert.deepEqual(joined.resume, { since: 5, complete: true, missed: 200 });
    sender.send({ type: "send", text: "after" });
    assert.equal((await back.expect(ofType("message"))).seq, 206);
    await sender.close();
    await back.close();
  });

  test("a gap larger than one history page is delivered whole, in chunks", async () => {
    const sender = await connectJson(`${base}/chat/biggap`);
    await sender.untilJoined("biggap");
    await sendMany(sender, "biggap", 1200, "g");
    const back = await connectJson(`${base}/chat/biggap?since=100`);
    const { history, joined } = await back.untilJoined("biggap", 20000);
    assert.ok(history.length >= 3, `chunks: ${history.length}`);
    assert.deepEqual(
      historyMessages(history).map((m) => m.seq),
      range(101, 1200),
    );
    assert.deepEqual(joined.resume, { since: 100, complete: true, missed: 1100 });
    await sender.close();
    await back.close();
  });

  test("a send repeated with the same cid is stored and broadcast once; both acks carry one seq", async () => {
    const sender = await connectJson(`${base}/chat/idem`);
    const watcher = await connectJson(`${base}/chat/idem`);
    await sender.untilJoined("idem");
    await watcher.untilJoined("idem");
    sender.send({ type: "send", text: "once", cid: "same-id" });
    const first = await sender.expect(ofType("ack"));
    sender.send({ type: "send", text: "once", cid: "same-id" });
    const second = await sender.expect(ofType("ack"));
    assert.equal(second.seq, first.seq);
    assert.equal(first.duplicate, false);
    assert.equal(second.duplicate, true);
    sender.send({ type: "send", text: "next", cid: "other-id" });
    const received: Event[] = [];
    while (received.at(-1)?.text !== "next") received.push(await watcher.expect(ofType("message")));
    assert.deepEqual(
      received.map((m) => m.text),
      ["once", "next"],
    );
    await sender.close();
    await watcher.close();
  });

  test("text-mode /nick and /who; a taken nick is refused; JSON members see the rename", async () => {
    const alice = await connect(`${base}/chat/names`);
    const bob = await connect(`${base}/chat/names`);
    const json = await connectJson(`${base}/chat/names`);
    await json.untilJoined("names");
    alice.send("/nick Alice");
    const renamed = await bob.nextMatching((f) => f.endsWith(" is now known as Alice."));
    assert.match(renamed, /^ \.\.\.\. user-\d+ is now known as Alice\.$/);
    assert.equal(await alice.next(), renamed);
    const presence = await json.expect(ofType("presence", { action: "nick" }));
    assert.equal(presence.nick, "Alice");
    bob.send("/nick alice");
    assert.equal(await bob.next(), " .... error: The nickname alice is taken.");
    json.send({ type: "nick", nick: "ALICE" });
    assert.equal((await json.expect(ofType("error"))).code, "nick_taken");
    json.send({ type: "nick", nick: "Jason" });
    assert.equal((await json.expect(ofType("nick"))).nick, "Jason");
    bob.send("/who");
    const who = await bob.nextMatching((f) => f.startsWith(" .... in names:"));
    assert.match(who, /^ \.\.\.\. in names: Alice, user-\d+, Jason\.$/);
    alice.send("hi");
    assert.equal(await bob.nextMatching((f) => f.endsWith(": hi")), "Alice: hi");
    await Promise.all([alice.close(), bob.close(), json.close()]);
  });
});

describe("retention", () => {
  test("a since older than retention gets an explicit incomplete resume and the latest page", async () => {
    const parley = await startTestParley({ retainMessages: 100, historyLimit: 20 });
    try {
      const base = `ws://127.0.0.1:${parley.wsPort}`;
      const sender = await connectJson(`${base}/chat/kept`);
      await sender.untilJoined("kept");
      await sendMany(sender, "kept", 300, "k");
      const back = await connectJson(`${base}/chat/kept?since=10`);
      const { history, joined } = await back.untilJoined("kept");
      assert.deepEqual(joined.resume, { since: 10, complete: false, missed: 0 });
      assert.deepEqual(
        historyMessages(history).map((m) => m.seq),
        range(281, 300),
      );
      await sender.close();
      await back.close();
    } finally {
      await parley.close();
    }
  });
});

describe("durability", () => {
  test("every acked message survives kill -9; seq continues after the restart", async () => {
    const dataDir = tempDir();
    const first = await spawnParley(["--data-dir", dataDir]);
    const sender = await connectJson(`ws://127.0.0.1:${first.wsPort}/chat/durable`);
    await sender.untilJoined("durable");
    const acked = new Map<number, string>();
    for (let i = 0; i < 300; i++) sender.send({ type: "send", text: `d${i}`, cid: `d${i}` });
    while (acked.size < 150) {
      const ack = await sender.expect(ofType("ack"));
      acked.set(ack.seq as number, ack.cid as string);
    }
    first.child.kill("SIGKILL");
    assert.equal(await first.exited, "SIGKILL");

    const second = await spawnParley(["--data-dir", dataDir]);
    try {
      const reader = await connectJson(`ws://127.0.0.1:${second.wsPort}/chat/durable?since=0`);
      const { history, joined } = await reader.untilJoined("durable");
      const stored = historyMessages(history);
      const seqs = stored.map((m) => m.seq as number);
      assert.deepEqual(seqs, range(1, seqs.length), "no gap");
      for (const [seq, cid] of acked) assert.equal(stored[seq - 1]?.text, cid, `acked seq ${seq}`);
      reader.send({ type: "send", text: "after restart", cid: "after" });
      assert.equal((await reader.expect(ofType("ack"))).seq, (joined.lastSeq as number) + 1);
      await reader.close();
    } finally {
      second.child.kill("SIGKILL");
      await second.exited;
    }
  });
});
