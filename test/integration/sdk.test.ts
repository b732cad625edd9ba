import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import type { RunningParley } from "../../src/server.ts";
import { startTestParley, tempDir } from "../helpers/parley.ts";
import { startProxy } from "../helpers/proxy.ts";
import { ManualTimers, nextEvent, recordRoom, sdkClient, stateReached } from "../helpers/sdk.ts";

const texts = (messages: Array<{ text: string }>) => messages.map((m) => m.text);

describe("SDK against a real Parley", () => {
  const cleanup: Array<() => Promise<unknown>> = [];
  after(async () => {
    for (const step of cleanup.reverse()) await step();
  });

  test("server restarted mid-stream: the reader sees every message exactly once, in order", async () => {
    const dataDir = tempDir();
    let parley: RunningParley = await startTestParley({ dataDir });
    const { port, wsPort } = parley;
    cleanup.push(() => parley.close());
    const url = `ws://127.0.0.1:${port}/chat`;
    const reader = sdkClient(url);
    const writer = sdkClient(url);
    cleanup.push(
      () => reader.close(),
      () => writer.close(),
    );
    const seen = recordRoom(reader.join("stream"));
    const out = writer.join("stream");
    await Promise.all([nextEvent(out, "joined"), stateReached(reader, "connected")]);

    const sent: string[] = [];
    const acks = [];
    let restarted = 0;
    for (let i = 1; i <= 60; i++) {
      sent.push(`m${i}`);
      acks.push(out.send(`m${i}`));
      if (i % 5 === 0) await new Promise((resolve) => setImmediate(resolve));
      if (i === 25) {
        // Stop Parley while sends are in flight; bring it back on the same ports and the same SQLite file.
        await parley.close();
        parley = await startTestParley({ dataDir, port, wsPort });
        restarted++;
      }
    }
    const results = await Promise.all(acks);
    assert.equal(restarted, 1);
    assert.deepEqual(
      results.map((a) => a.seq),
      sent.map((_, i) => i + 1),
      "each send acked with its place in order",
    );
    await seen.waitForSeq(60);
    assert.deepEqual(texts(seen.messages), sent, "every message once, in order");
    assert.deepEqual(
      seen.messages.map((m) => m.seq),
      sent.map((_, i) => i + 1),
    );
    assert.equal(writer.pending, 0);

    // A newcomer gets the latest page, then older pages on request.
    const late = sdkClient(url);
    cleanup.push(() => late.close());
    const lateRoom = late.join("stream", { limit: 10 });
    const first = await nextEvent(lateRoom, "history");
    assert.deepEqual([first.kind, first.messages[0]?.seq, first.messages.at(-1)?.seq], ["initial", 51, 60]);
    assert.equal(lateRoom.state, "joined");
    const older = await lateRoom.history({ limit: 20 });
    assert.deepEqual(texts(older), sent.slice(30, 50));
  });

  test("sends made offline wait in the outbox and are delivered once; a lost ack is retried, not stored twice", async () => {
    const parley = await startTestParley();
    cleanup.push(() => parley.close());
    const proxy = await startProxy(parley.port);
    cleanup.push(() => proxy.close());
    const reader = sdkClient(`ws://127.0.0.1:${parley.port}/chat`);
    const writer = sdkClient(`ws://127.0.0.1:${proxy.port}/chat`);
    cleanup.push(
      () => reader.close(),
      () => writer.close(),
    );
    const seen = recordRoom(reader.join("outbox"));
    const out = writer.join("outbox");
    await Promise.all([nextEvent(out, "joined"), stateReached(reader, "connected")]);

    // Offline: the network drops and refuses; five sends wait.
    proxy.refuse = true;
    proxy.cutAll();
    await stateReached(writer, "reconnecting");
    const offline = ["one", "two", "three", "four", "five"].map((t) => out.send(t));
    assert.equal(writer.pending, 5);
    proxy.refuse = false;
    const acks = await Promise.all(offline);
    assert.deepEqual(
      acks.map((a) => [a.seq, a.duplicate]),
      [
        [1, false],
        [2, false],
        [3, false],
        [4, false],
        [5, false],
      ],
    );

    // The server stores a message but its ack never reaches the writer; the retry is acked as a duplicate.
    proxy.dropDownstream = true;
    const lost = out.send("ack lost");
    await seen.waitForSeq(6);
    proxy.cutAll();
    proxy.dropDownstream = false;
    const ack = await lost;
    assert.equal(ack.seq, 6);
    assert.equal(ack.duplicate, true, "the resend was recognised by its cid");
    await out.send("after");
    await seen.waitForSeq(7);
    assert.deepEqual(texts(seen.messages), ["one", "two", "three", "four", "five", "ack lost", "after"]);
  });

  test("a close code that means 'do not reconnect' stops the loop and says why", async () => {
    const parley = await startTestParley({ maxPayload: 1024 });
    cleanup.push(() => parley.close());
    const timers = new ManualTimers();
    const client = sdkClient(`ws://127.0.0.1:${parley.port}/chat`, { timers });
    const room = client.join("limits");
    await nextEvent(room, "joined");
    const states: string[] = [];
    client.on("state", (s) => states.push(s.state));
    const tooBig = room.send("x".repeat(2000));
    const stopped = await nextEvent(client, "disconnected");
    assert.equal(stopped.code, 1009);
    assert.equal(stopped.willReconnect, false);
    await assert.rejects(tooBig, /1009/);
    assert.deepEqual(states, ["disconnected"]);
    assert.equal(client.state, "disconnected");
    assert.equal(timers.pending.size, 0, "no reconnect is scheduled");
    assert.throws(() => client.join("again"), /closed/);
  });

  test("a cid reused for another text, or empty, is refused for good: the send fails once, nothing is retried", async () => {
    const parley = await startTestParley();
    cleanup.push(() => parley.close());
    const client = sdkClient(`ws://127.0.0.1:${parley.port}/chat`);
    cleanup.push(() => client.close());
    const room = client.join("ids");
    await nextEvent(room, "joined");
    const code = (expected: string) => (error: unknown) => (error as { code?: string }).code === expected;

    const first = await room.send("pay 10", { cid: "order-1" });
    await assert.rejects(room.send("pay 1000", { cid: "order-1" }), code("cid_conflict"), "refused by the server");
    const again = await room.send("pay 10", { cid: "order-1" });
    assert.deepEqual([again.seq, again.duplicate], [first.seq, true]);
    const waiting = room.send("pay 20", { cid: "order-2" });
    await assert.rejects(room.send("pay 2000", { cid: "order-2" }), code("cid_conflict"), "refused in the outbox");
    await waiting;
    await assert.rejects(room.send("no id", { cid: "" }), code("bad_request"));
    assert.equal(client.pending, 0, "nothing left to retry");
  });

  test("a gap older than retention gives an explicit resume-incomplete and the latest page", async () => {
    const parley = await startTestParley({ retainMessages: 5 });
    cleanup.push(() => parley.close());
    const proxy = await startProxy(parley.port);
    cleanup.push(() => proxy.close());
    const reader = sdkClient(`ws://127.0.0.1:${proxy.port}/chat`);
    const writer = sdkClient(`ws://127.0.0.1:${parley.port}/chat`);
    cleanup.push(
      () => reader.close(),
      () => writer.close(),
    );
    const room = reader.join("short");
    const out = writer.join("short");
    await Promise.all([nextEvent(room, "joined"), nextEvent(out, "joined")]);
    await out.send("seen");
    await nextEvent(room, "message");

    proxy.refuse = true;
    proxy.cutAll();
    for (let i = 1; i <= 12; i++) await out.send(`missed ${i}`);
    const incomplete = nextEvent(room, "resume-incomplete");
    const page = nextEvent(room, "history");
    proxy.refuse = false;
    assert.deepEqual(await incomplete, { room: "short", since: 1, lastSeq: 13 });
    const reset = await page;
    assert.equal(reset.kind, "reset");
    assert.deepEqual(texts(reset.messages), ["missed 8", "missed 9", "missed 10", "missed 11", "missed 12"]);
    const live = nextEvent(room, "message");
    await out.send("live again");
    assert.equal((await live).seq, 14);
  });

  test("the nickname is taken back on reconnect; if someone took it meanwhile, the client says so", async () => {
    const parley = await startTestParley();
    cleanup.push(() => parley.close());
    const proxy = await startProxy(parley.port);
    cleanup.push(() => proxy.close());
    const sam = sdkClient(`ws://127.0.0.1:${proxy.port}/chat`, { nick: "sam" });
    const other = sdkClient(`ws://127.0.0.1:${parley.port}/chat`);
    cleanup.push(
      () => sam.close(),
      () => other.close(),
    );
    const room = sam.join("names");
    await nextEvent(room, "joined");
    assert.equal(sam.nick, "sam");

    proxy.cutAll(); // a blip: sam comes back as sam
    await nextEvent(room, "joined", (j) => j.resumed);
    assert.equal(sam.nick, "sam");

    proxy.refuse = true;
    proxy.cutAll();
    await stateReached(sam, "reconnecting");
    await stateReached(other, "connected");
    assert.equal(await other.setNick("sam"), "sam", "free once sam's connection is gone");
    const refused = nextEvent(sam, "error");
    const renamed = nextEvent(sam, "nick");
    proxy.refuse = false;
    assert.equal((await refused).code, "nick_taken");
    const standIn = await renamed;
    assert.match(standIn.nick, /^user-\d+$/);
    assert.equal(standIn.interim, true, "a stand-in: the page does not store it as the user's choice");
    assert.equal(sam.state, "connected", "still connected, under the server's name");
  });
});
