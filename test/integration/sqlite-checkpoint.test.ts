import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { closeSync, existsSync, openSync, readSync, statSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import type { Worker } from "node:worker_threads";
import Database from "better-sqlite3";
import { SqliteStore } from "../../src/store/sqlite.ts";
import { RUN_SOURCES } from "../helpers/lines.ts";
import { tempDir } from "../helpers/parley.ts";

// The checkpointer thread keeps the WAL short without the writer checkpointing in its commits
// (sqlite-checkpointer.js): past 4,000 frames (16 MB) the writer finishes a checkpoint between two
// batches so the WAL restarts (asserted: under 12,000 frames; a starved checkpointer passes late, and at
// load 11 one run peaked at 8,039); past 16,000 a TRUNCATE bounds it. 1,500-byte rows
// over 100 rooms write ~1.5 frames each: with no checkpoint, the WAL would pass 60 MB here.
const WAL_BOUND = 12_000 * 4096;
const TEXT = "x".repeat(1500);

/** The WAL header's checkpoint sequence: it grows each time the WAL restarts from its beginning. */
const walRestarts = (file: string): number => {
  if (!existsSync(`${file}-wal`)) return 0;
  const fd = openSync(`${file}-wal`, "r");
  try {
    const header = Buffer.alloc(16);
    return readSync(fd, header, 0, 16, 0) === 16 ? header.readUInt32BE(12) : 0;
  } finally {
    closeSync(fd);
  }
};
const walSize = (file: string): number => (existsSync(`${file}-wal`) ? statSync(`${file}-wal`).size : 0);

/**
 * 25,000 appends over 100 rooms, 50 a turn; asserts the WAL stayed bounded and restarted, and every
 * message is in the file after the store closes.
 */
const appendsKeepTheWalBounded = async (file: string, store: SqliteStore): Promise<void> => {
  let largest = 0;
  const firstRestart = walRestarts(file);
  let n = 0;
  for (let turn = 0; turn < 500; turn++) {
    await Promise.all(
      Array.from({ length: 50 }, () => store.append({ room: `r${n++ % 100}`, nick: "n", text: TEXT, ts: n })),
    );
    largest = Math.max(largest, walSize(file));
  }
  assert.ok(largest < WAL_BOUND, `the WAL reached ${largest} bytes`);
  assert.ok(walRestarts(file) - firstRestart >= 2, "the WAL was restarted from its beginning");
  assert.deepEqual(await store.bounds("r7"), { first: 1, last: 250 });
  await store.close();
  const db = new Database(file, { readonly: true });
  assert.equal((db.prepare("SELECT count(*) AS n FROM messages").get() as { n: number }).n, 25_000);
  db.close();
};

test("under sustained appends the WAL stays bounded and restarts, and every message is in the file after", async () => {
  const file = join(tempDir(), "wal.db");
  const store = new SqliteStore({ file, retention: { maxMessagesPerRoom: 0, maxAgeMs: 0 }, synchronous: "full" });
  await appendsKeepTheWalBounded(file, store);
});

test("if the checkpointer thread ends while the store is open, the writer checkpoints in its commits: the WAL stays bounded", async () => {
  const file = join(tempDir(), "fallback.db");
  const store = new SqliteStore({ file, retention: { maxMessagesPerRoom: 0, maxAgeMs: 0 }, synchronous: "full" });
  // The thread's end, as an out-of-memory or a crash in it would be (a private field: no other way in).
  const checkpointer = (store as unknown as { checkpointer: Worker }).checkpointer;
  await checkpointer.terminate();
  await appendsKeepTheWalBounded(file, store);
});

test("kill -9 while the checkpointer copies the WAL: every acknowledged message is there after", {
  timeout: 120_000,
}, async (t) => {
  const file = join(tempDir(), "crash.db");
  const child = spawn(process.execPath, [...RUN_SOURCES, "test/fixtures/sqlite-appender.ts", file], {
    cwd: fileURLToPath(new URL("../../", import.meta.url)),
    stdio: ["ignore", "pipe", "inherit"],
  });
  const exited = new Promise((done) => child.on("exit", (_code, signal) => done(signal)));
  t.after(() => child.kill("SIGKILL")); // also when the WAL never restarts and the test times out
  const acked = new Map<string, number>();
  let rest = "";
  let restarts = 0;
  await new Promise<void>((done) => {
    child.stdout.on("data", (chunk: Buffer) => {
      const lines = (rest + chunk.toString()).split("\n");
      rest = lines.pop() ?? "";
      for (const line of lines) {
        const [room, seq] = line.split(" ");
        acked.set(room as string, Math.max(acked.get(room as string) ?? 0, Number(seq)));
      }
      restarts = walRestarts(file);
      // Two restarts in: the checkpointer has copied pages while appends went on.
      if (restarts >= 2 && acked.size === 100) done();
    });
  });
  child.kill("SIGKILL");
  assert.equal(await exited, "SIGKILL");
  const db = new Database(file);
  assert.equal(db.pragma("quick_check", { simple: true }), "ok");
  const last = db.prepare<[string], { n: number; top: number }>(
    "SELECT count(*) AS n, max(seq) AS top FROM messages WHERE room = ?",
  );
  for (const [room, seq] of acked) {
    const got = last.get(room) as { n: number; top: number };
    assert.ok(got.top >= seq, `${room}: acked up to ${seq}, ${got.top} in the file`);
    assert.equal(got.n, got.top, `${room}: no gap`);
  }
  db.close();
});
