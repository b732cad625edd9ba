// test-runner: alone (compares fan-out latency with and without a stalled reader)
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { RunningParley } from "../../src/server.ts";
import { SocketLink } from "../../src/transport/socket-link.ts";
import { connectJson, type Event, historyMessages, type JsonClient, ofType } from "../helpers/json.ts";
import { startTestParley } from "../helpers/parley.ts";

const MAX_QUEUE = 1024 * 1024; // the default
const TEXT = "x".repeat(16 * 1024);

const p99 = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.ceil(sorted.length * 0.99) - 1] as number;
};

/** The server-side connection of the member called `nick` (to watch its backlog). */
const connectionOf = (parley: RunningParley, room: string, nick: string): SocketLink | undefined => {
  const link = [...parley.service.hub.membersOf(room)].find((m) => m.nick === nick)?.session.link;
  return link instanceof SocketLink ? link : undefined;
};

describe("slow consumers", { timeout: 60_000 }, () => {
  let parley: RunningParley;
  let url: string;
  before(async () => {
    // No rate limit here: one sender must outrun a client that reads nothing.
    parley = await startTestParley({ rateLimit: 0, maxQueueBytes: MAX_QUEUE });
    url = `ws://127.0.0.1:${parley.port}/chat/slow`;
  });
  after(() => parley.close());

  const join = async (): Promise<{ client: JsonClient; nick: string }> => {
    const client = await connectJson(url);
    const welcome = await client.expect(ofType("welcome"));
    await client.untilJoined("slow");
    return { client, nick: String(welcome.nick) };
  };

  test("a client that stops reading is closed (4000) with a bounded backlog, others' p99 does not move, and `since` gets it every message it missed", async () => {
    const { client: sender } = await join();
    const { client: watcher } = await join();
    const { client: slow, nick: slowNick } = await join();
    const slowConn = connectionOf(parley, "slow", slowNick);
    assert.ok(slowConn);

    let maxBacklog = 0;
    /** Sends one 16 KiB message and returns how long the watcher waited for it. */
    const sendOne = async (i: number): Promise<number> => {
      const started = performance.now();
      sender.send({ type: "send", text: `${i} ${TEXT}`, cid: `m${i}` });
      await watcher.expect((e) => e.type === "message" && String(e.text).startsWith(`${i} `));
      maxBacklog = Math.max(maxBacklog, slowConn.backlogBytes);
      return performance.now() - started;
    };

    let i = 0;
    const baseline: number[] = [];
    while (i < 60) baseline.push(await sendOne(i++));

    slow.raw.ws.pause(); // stops reading: the kernel buffers fill, then Parley's queue does
    const during: number[] = [];
    let leftAt = -1;
    watcher.raw.ws.on("message", (data) => {
      const frame = String(data);
      if (leftAt < 0 && frame.includes('"action":"leave"') && frame.includes(`"${slowNick}"`)) leftAt = i;
    });
    while (leftAt < 0 && i < 3000) during.push(await sendOne(i++));
    // Keep talking a little after it is gone: those it must get on resume too.
    for (let k = 0; k < 20; k++) during.push(await sendOne(i++));
    const total = i;

    assert.ok(leftAt > 0, "the slow client was dropped and its leave announced");
    assert.equal(connectionOf(parley, "slow", slowNick), undefined);
    // Memory held for it never passed the hard cap (four times --max-queue-bytes) plus the one
    // turn's frames that found it just under (the kernel's socket buffers are not Parley's): past
    // the cap a client is closed once it has taken nothing for half a second, or at the hard cap.
    const oneTurn = TEXT.length + 1024;
    assert.ok(maxBacklog <= 4 * MAX_QUEUE + oneTurn, `backlog peaked at ${maxBacklog} bytes`);
    const sentBytes = (total - 60) * TEXT.length;
    console.log(
      `# slow consumer: dropped after ${leftAt - 60} messages (${((leftAt - 60) * TEXT.length) >> 20} MiB), backlog peak ${maxBacklog} bytes; others' p99 ${p99(baseline).toFixed(1)} → ${p99(during).toFixed(1)} ms; ${sentBytes >> 20} MiB sent`,
    );
    assert.ok(p99(during) < p99(baseline) * 3 + 50, `p99 ${p99(baseline)} → ${p99(during)} ms`);

    // The slow client wakes up: it reads what reached it, then sees the close.
    slow.raw.ws.resume();
    const { code } = await slow.raw.closed;
    assert.ok([4000, 1006].includes(code), `close code ${code}`);
    const seen = slow.raw.frames
      .map((f) => JSON.parse(f) as Event)
      .filter((e) => e.type === "message")
      .map((e) => e.seq as number);
    const lastSeen = Math.max(0, ...seen);
    assert.ok(lastSeen < total, "it had missed something");

    const back = await connectJson(url.replace("/chat/slow", "/chat"));
    back.send({ type: "join", room: "slow", since: lastSeen, limit: 0 });
    const { history, joined } = await back.untilJoined("slow");
    const resumed = historyMessages(history).map((m) => m.seq as number);
    assert.deepEqual(joined.resume, { since: lastSeen, complete: true, missed: total - lastSeen });
    assert.deepEqual(
      [...seen, ...resumed],
      Array.from({ length: total }, (_, k) => k + 1),
    );
    await Promise.all([sender.close(), watcher.close(), back.close()]);
  });

  test("past the cap presence is dropped first: a slow client survives presence, then chat messages it does not take close it", async () => {
    const { client: sender } = await join();
    const { client: slow, nick: slowNick } = await join();
    const slowConn = connectionOf(parley, "slow", slowNick);
    assert.ok(slowConn);
    slow.raw.ws.pause();
    // Fill until the backlog is within 64 KiB of the cap (the kernel's buffers fill first).
    let i = 0;
    while (slowConn.backlogBytes < MAX_QUEUE - 64 * 1024 && i < 3000) {
      sender.send({ type: "send", text: `${i++} ${"y".repeat(8 * 1024)}`, cid: `p${i}` });
      await sender.expect(ofType("ack"));
    }
    assert.ok(slowConn.backlogBytes >= MAX_QUEUE - 64 * 1024, "filled");
    // 1,500 renames: about 200 KiB of presence, more than the room left in the queue.
    for (let k = 0; k < 1500; k++) {
      sender.send({ type: "nick", nick: `renamed-${k}-${"n".repeat(16)}` });
      await sender.expect(ofType("nick"));
    }
    assert.equal(slowConn.closed, false, "presence alone never closes a slow client");
    assert.ok(slowConn.backlogBytes <= MAX_QUEUE);
    // Chat messages go past the cap; once it has taken nothing for half a second, the next one closes it.
    for (let k = 0; k < 40 && !slowConn.closed; k++) {
      sender.send({ type: "send", text: `chat ${k} ${"z".repeat(8 * 1024)}` });
      await sender.expect(ofType("ack"));
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.equal(slowConn.closed, true, "chat messages it does not take close it");
    slow.raw.ws.resume();
    await slow.raw.closed;
    await sender.close();
  });
});
