import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { closeSync, openSync, rmSync, unlinkSync, writeSync } from "node:fs";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import Database from "better-sqlite3";
import { connect } from "../helpers/client.ts";
import { skipReason } from "../helpers/engines.ts";
import { connectJson, type Event, ofType } from "../helpers/json.ts";
import { startTestParley, tempDir } from "../helpers/parley.ts";
import { parsePrometheus, sampleValue } from "../helpers/prometheus.ts";

/** A real small filesystem to fill: a tmpfs of its own (root only), so "disk full" is the kernel's ENOSPC. */
const mountTmpfs = (dir: string, size: string): string | null => {
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", dir], { stdio: "pipe" });
    return null;
  } catch (error) {
    return `a real disk-full test needs a tmpfs of its own (mount as root): ${String(error).split("\n")[0]}`;
  }
};

/** Writes until the filesystem refuses: the disk is full. */
const fill = (file: string): void => {
  const fd = openSync(file, "w");
  const chunk = Buffer.alloc(64 * 1024, 1);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (error) {
    assert.equal((error as NodeJS.ErrnoException).code, "ENOSPC");
  } finally {
    closeSync(fd);
  }
};

const readyz = async (port: number): Promise<{ status: number; body: Record<string, unknown> }> => {
  const response = await fetch(`http://127.0.0.1:${port}/readyz`);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};

describe("storage faults: a real full disk under a running Parley", async () => {
  const mountPoint = tempDir("parley-tmpfs-");
  const reason = await skipReason(async () => mountTmpfs(mountPoint, "4m"));
  after(() => {
    if (!reason) execFileSync("umount", [mountPoint]);
    rmSync(mountPoint, { recursive: true, force: true });
  });

  test("while writes fail: sends are refused (JSON error, text error line), never broadcast; /readyz is 503 and says why, 200 again once a write succeeds", {
    skip: reason,
  }, async () => {
    const parley = await startTestParley({ dataDir: join(mountPoint, "data") });
    try {
      const base = `ws://127.0.0.1:${parley.wsPort}/chat/full`;
      const sender = await connectJson(base);
      const watcher = await connectJson(base);
      await sender.untilJoined("full");
      await watcher.untilJoined("full");
      const textSender = await connect(base);
      const textWatcher = await connect(base);
      sender.send({ type: "send", text: "before", cid: "b" });
      await sender.expect(ofType("ack", { cid: "b" }));
      assert.equal((await readyz(parley.port)).status, 200);
      // What Parley's checkpointer thread does whenever it gets to it, done now: the WAL is copied into the file,
      // so the next commits reuse the WAL from its start, space the disk gave already. With it, the failed append
      // leaves room there for a one-page write (a /readyz probe) on a disk with none to give.
      const side = new Database(join(mountPoint, "data", "parley.db"));
      side.pragma("wal_checkpoint(PASSIVE)");
      side.close();

      const filler = join(mountPoint, "filler");
      fill(filler);
      // Big messages, so the WAL must grow (space it already has is reused and would still take a few).
      const big = "x".repeat(32 * 1024);
      let refusedCid: string | undefined;
      for (let i = 1; i <= 20 && refusedCid === undefined; i++) {
        sender.send({ type: "send", text: `${big}${i}`, cid: `f${i}` });
        const answer = await sender.expect((e) => e.cid === `f${i}`);
        if (answer.type === "error") {
          assert.equal(answer.code, "store_unavailable");
          refusedCid = `f${i}`;
        }
      }
      assert.ok(refusedCid, "a write failed on the full disk");
      const down = await readyz(parley.port);
      console.log(`# /readyz while the disk is full: ${down.status} ${JSON.stringify(down.body)}`);
      assert.equal(down.status, 503);
      assert.equal(down.body.status, "unavailable");
      assert.equal(down.body.part, "store");
      assert.match(String(down.body.error), /writes have failed since .*full/i, "says why");

      // A short line may still fit in the WAL space the refused append took from the disk: it is saved and shown.
      // Once none fits, the sender is told and nobody sees it.
      let lostLine: string | undefined;
      for (let i = 1; i <= 20 && lostLine === undefined; i++) {
        textSender.send(`line ${i}`);
        const answer = await textSender.nextMatching((f) => f.endsWith(`: line ${i}`) || f.includes("error:"));
        if (answer.includes("error:")) {
          assert.match(answer, /^ \.\.\.\. error: The message was not saved/);
          lostLine = `line ${i}`;
        }
      }
      assert.ok(lostLine, "a text line was refused on the full disk");

      unlinkSync(filler);
      // Nobody has sent since: readiness comes back by a probe write (tried at most once a second).
      let ready = await readyz(parley.port);
      for (let i = 0; i < 30 && ready.status !== 200; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        ready = await readyz(parley.port);
      }
      assert.equal(ready.status, 200, "ready again once writes work, before anyone sends");
      textSender.send("after the fault");
      sender.send({ type: "send", text: `${big}${refusedCid.slice(1)}`, cid: refusedCid });
      const resent = await sender.expect((e) => e.cid === refusedCid);
      assert.deepEqual([resent.type, resent.duplicate], ["ack", false], "stored once the disk has room");

      await textWatcher.nextMatching((f) => f.endsWith(": after the fault"));
      assert.ok(
        !textWatcher.frames.some((f) => f.endsWith(`: ${lostLine}`)),
        "a text client never saw the unsaved line",
      );
      const seen: Event[] = [];
      while (seen.at(-1)?.text !== refusedCid.slice(1) && seen.length < 100) {
        const message = await watcher.expect(ofType("message"));
        seen.push({ ...message, text: String(message.text).replace(big, "") });
      }
      assert.ok(!seen.some((m) => m.text === lostLine), "nor did a JSON client");
      assert.deepEqual(
        seen.map((m) => m.seq),
        seen.map((_, i) => i + 1),
        "no gap where writes failed",
      );
      const metrics = parsePrometheus(await (await fetch(`http://127.0.0.1:${parley.port}/metrics`)).text());
      assert.ok(sampleValue(metrics, "parley_errors_sent_total", { code: "store_unavailable" }) >= 2);
      assert.ok(sampleValue(metrics, "parley_store_errors_total") >= 2);
      for (const client of [sender, watcher, textSender, textWatcher]) await client.close();
    } finally {
      await parley.close();
    }
  });
});
