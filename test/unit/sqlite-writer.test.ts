import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import Database from "better-sqlite3";
import { SqliteStore } from "../../src/store/sqlite.ts";
import { tempDir } from "../helpers/parley.ts";

const open = (file: string) =>
  new SqliteStore({ file, retention: { maxAgeMs: 0, maxMessagesPerRoom: 0 }, synchronous: "full" });
const say = (store: SqliteStore, text: string, cid?: string) =>
  store.append({ room: "r", nick: "n", text, ts: 1, cid });
const nextTurn = () => new Promise((done) => setImmediate(done));

test("batches of several turns in flight commit in order; a repeated cid is one message", async () => {
  const store = open(join(tempDir(), "pipe.db"));
  const firstTurn = [say(store, "a", "c1"), say(store, "b")];
  await nextTurn(); // the first batch is with the writer while these form the next ones
  const secondTurn = [say(store, "c"), say(store, "again", "c1")];
  await nextTurn();
  const thirdTurn = [say(store, "d", "c1")];
  const results = await Promise.all([...firstTurn, ...secondTurn, ...thirdTurn]);
  assert.deepEqual(
    results.map((r) => [r.message.seq, r.duplicate]),
    [
      [1, false],
      [2, false],
      [3, false],
      [1, true],
      [1, true],
    ],
  );
  assert.deepEqual(
    (await store.after("r", 0, 10)).map((m) => m.text),
    ["a", "b", "c"],
  );
  await store.close();
});

test("a failed commit rejects it and every batch behind it, and takes their seqs back", async () => {
  const file = join(tempDir(), "fail.db");
  const store = open(file);
  for (const text of ["1", "2", "3"]) await say(store, text);
  const other = new Database(file);
  other.exec("ALTER TABLE messages RENAME TO messages_away"); // the next commits cannot insert
  const failing = [say(store, "x"), say(store, "y")];
  await nextTurn();
  const behind = [say(store, "z", "cz")];
  const outcomes = await Promise.allSettled([...failing, ...behind]);
  assert.deepEqual(
    outcomes.map((o) => o.status),
    ["rejected", "rejected", "rejected"],
  );
  other.exec("ALTER TABLE messages_away RENAME TO messages");
  other.close();
  const after = await say(store, "back", "cz");
  assert.deepEqual([after.message.seq, after.duplicate], [4, false]); // no gap, and cz was never stored
  assert.deepEqual(await store.bounds("r"), { first: 1, last: 4 });
  await store.close();
});

test("a committed message is not history until its append has settled (so it is never sent twice)", async () => {
  const file = join(tempDir(), "settle.db");
  const store = open(file);
  await say(store, "before");
  const pending = say(store, "racing");
  await nextTurn(); // the batch is with the writer now
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300); // the writer commits meanwhile
  const other = new Database(file, { readonly: true });
  const committed = other.prepare("SELECT count(*) AS n FROM messages").get() as { n: number };
  other.close();
  assert.equal(committed.n, 2, "the writer should have committed by now");
  // Its answer has not been read yet (this thread was busy): reads still end before it.
  assert.deepEqual(
    (await store.latest("r", 10)).map((m) => m.text),
    ["before"],
  );
  assert.deepEqual(
    (await store.after("r", 0, 10)).map((m) => m.text),
    ["before"],
  );
  assert.deepEqual(await store.bounds("r"), { first: 1, last: 1 });
  assert.equal((await pending).message.seq, 2);
  assert.deepEqual(
    (await store.latest("r", 10)).map((m) => m.text),
    ["before", "racing"],
  );
  assert.deepEqual(await store.bounds("r"), { first: 1, last: 2 });
  await store.close();
});

test("appends that arrive while the writer is busy go as one batch, in order", async () => {
  const file = join(tempDir(), "group.db");
  const store = open(file);
  const other = new Database(file);
  // Frames in the WAL since the last checkpoint: each commit adds the pages it changed.
  const walFrames = () => (other.pragma("wal_checkpoint(PASSIVE)") as { log: number }[])[0]?.log ?? 0;
  await say(store, "first");
  walFrames(); // checkpointed: the WAL starts again at the next commit
  await say(store, "one commit");
  const perCommit = walFrames();
  other.exec("BEGIN IMMEDIATE"); // the writer's next commit waits for this lock
  const pause = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
  const turns = [say(store, "a")];
  await nextTurn();
  pause(100); // the writer has "a" and waits for the lock
  for (const text of ["b", "c", "d", "e"]) {
    turns.push(say(store, text));
    await nextTurn(); // one turn each, all while the writer is busy with "a"
  }
  pause(100);
  other.exec("COMMIT");
  const results = await Promise.all(turns);
  assert.deepEqual(
    results.map((r) => r.message.seq),
    [3, 4, 5, 6, 7],
  );
  // "a" in the commit that waited, then b, c, d and e in one: two commits, not five.
  assert.equal(walFrames(), 2 * perCommit);
  assert.deepEqual(
    (await store.after("r", 0, 10)).map((m) => m.text),
    ["first", "one commit", "a", "b", "c", "d", "e"],
  );
  other.close();
  await store.close();
});
