import assert from "node:assert/strict";
import { closeSync, openSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { SqliteStore } from "../../src/store/sqlite.ts";
import { runParleyCommand, spawnParley } from "../helpers/child.ts";
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

  test("one Parley per data directory: a second exits 1 naming the directory; after kill -9 of the first a new one starts at once", async () => {
    const dataDir = tempDir();
    const first = await spawnParley(["--data-dir", dataDir]);
    try {
      await assert.rejects(spawnParley(["--data-dir", dataDir]), (error: Error) => {
        assert.match(error.message, /exited \(1\) before starting/);
        assert.ok(error.message.includes(`data directory ${dataDir}`), `names the directory: ${error.message}`);
        assert.doesNotMatch(error.message, /\n\s+at /, "a sentence, not a stack trace");
        return true;
      });
      const sender = await connectJson(`ws://127.0.0.1:${first.wsPort}/chat/owner`);
      await sender.untilJoined("owner");
      sender.send({ type: "send", text: "still served", cid: "o1" });
      assert.equal((await sender.expect((e) => e.type === "ack")).seq, 1, "the first one is untouched");
      first.child.kill("SIGKILL");
      await first.exited;
      await sender.raw.closed;
    } finally {
      first.child.kill("SIGKILL");
    }
    const started = performance.now();
    const next = await spawnParley(["--data-dir", dataDir]);
    console.log(
      `# after kill -9 the next Parley started in ${Math.round(performance.now() - started)} ms (no stale lock)`,
    );
    next.child.kill("SIGKILL");
    await next.exited;
  });

  test("a damaged SQLite file is refused at start: exit 1, the file named, no stack trace", async () => {
    const dataDir = tempDir();
    const file = join(dataDir, "parley.db");
    const store = new SqliteStore({ file, retention: { maxMessagesPerRoom: 0, maxAgeMs: 0 }, synchronous: "normal" });
    await Promise.all(
      Array.from({ length: 400 }, (_, i) => store.append({ room: "r", nick: "n", text: `${i}`.repeat(300), ts: i })),
    );
    await store.close();
    // Pages 3 to 8 (of 4 KiB) overwritten, as a bad disk or a stray write would leave them.
    const fd = openSync(file, "r+");
    writeSync(fd, Buffer.alloc(6 * 4096, 0xa5), 0, 6 * 4096, 2 * 4096);
    closeSync(fd);
    const run = runParleyCommand(["--data-dir", dataDir, "--host", "127.0.0.1", "--port", "0", "--ws-port", "0"]);
    assert.equal(run.status, 1, run.stderr);
    assert.ok(run.stderr.includes(`The SQLite file ${file} is damaged`), run.stderr);
    assert.doesNotMatch(run.stderr, /\n\s+at /, "a sentence, not a stack trace");
    assert.equal(run.stderr.trim().split("\n").length, 1, "one line");

    writeFileSync(file, "not a database at all ".repeat(100)); // the header itself gone
    const again = runParleyCommand(["--data-dir", dataDir, "--host", "127.0.0.1", "--port", "0", "--ws-port", "0"]);
    assert.equal(again.status, 1, again.stderr);
    assert.match(again.stderr, /is damaged \(SqliteError: file is not a database\)/);
  });
});
