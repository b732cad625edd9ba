import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { spawnParley } from "../helpers/child.ts";
import { connectJson, type Event, historyMessages } from "../helpers/json.ts";
import { tempDir } from "../helpers/parley.ts";

const WINDOW = 16; // messages in flight, like a client that does not wait for each ack

describe("faults", { timeout: 60_000 }, () => {
  test("kill -9 mid-stream: every acked message is in history exactly once, seq has no gap, and resending the unacked ones (same cid) completes it", async () => {
    const dataDir = tempDir();
    const first = await spawnParley(["--data-dir", dataDir]);
    const sender = await connectJson(`ws://127.0.0.1:${first.wsPort}/chat/crash`);
    await sender.untilJoined("crash");

    const acked = new Map<string, number>(); // cid → seq
    const inFlight = new Set<string>();
    let next = 0;
    const sendOne = () => {
      const cid = `k${next++}`;
      inFlight.add(cid);
      sender.send({ type: "send", text: cid, cid });
    };
    sender.raw.ws.on("message", (data) => {
      const event = JSON.parse(String(data)) as Event;
      if (event.type !== "ack") return;
      inFlight.delete(event.cid as string);
      acked.set(event.cid as string, event.seq as number);
      sendOne(); // a steady stream: one new message per ack
    });
    for (let i = 0; i < WINDOW; i++) sendOne();
    const killAt = 300 + Math.floor(Math.random() * 200);
    while (acked.size < killAt) await new Promise((resolve) => setTimeout(resolve, 2));
    first.child.kill("SIGKILL");
    assert.equal(await first.exited, "SIGKILL");
    await sender.raw.closed;
    const ackedBeforeCrash = new Map(acked);
    const unacked = [...inFlight];
    assert.ok(unacked.length > 0, "the kill came mid-stream, with messages in flight");

    const second = await spawnParley(["--data-dir", dataDir]);
    try {
      const retry = await connectJson(`ws://127.0.0.1:${second.wsPort}/chat/crash`);
      await retry.untilJoined("crash");
      // What a client does after a reconnect: send again what was never acked, with the same cid.
      for (const cid of unacked) retry.send({ type: "send", text: cid, cid });
      const retried: Event[] = [];
      while (retried.length < unacked.length) retried.push(await retry.expect((e) => e.type === "ack"));

      const reader = await connectJson(`ws://127.0.0.1:${second.wsPort}/chat/crash?since=0`);
      const stored = historyMessages((await reader.untilJoined("crash")).history);
      const seqs = stored.map((m) => m.seq as number);
      assert.deepEqual(
        seqs,
        seqs.map((_, i) => i + 1),
        "seq 1..n with no gap",
      );
      const texts = stored.map((m) => m.text as string);
      assert.equal(new Set(texts).size, texts.length, "no message twice");
      for (const [cid, seq] of ackedBeforeCrash) assert.equal(stored[seq - 1]?.text, cid, `acked ${cid} at seq ${seq}`);
      // Every message ever sent is there exactly once: acked before, or acked on retry (a retry
      // of one that reached the disk before the kill comes back as a duplicate, not a copy).
      assert.equal(stored.length, ackedBeforeCrash.size + unacked.length);
      const duplicates = retried.filter((e) => e.duplicate === true).length;
      console.log(
        `# kill -9 after ${ackedBeforeCrash.size} acks with ${unacked.length} in flight: ${duplicates} had reached the disk, ${unacked.length - duplicates} had not; ${stored.length} stored, no gap, none twice`,
      );
      await retry.close();
      await reader.close();
    } finally {
      second.child.kill("SIGKILL");
      await second.exited;
    }
  });
});
