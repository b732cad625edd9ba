// The SQLite store's writer thread: commits the batches the main thread prepared, one at a time,
// so the commit's fsync (2-15 ms on a busy disk) blocks this thread and not the event loop that
// serves every client. Plain JavaScript, so it runs with no loader in any install.
import { parentPort, workerData } from "node:worker_threads";
import Database from "better-sqlite3";

const db = new Database(workerData.file);
const synchronous = workerData.synchronous === "full" ? "FULL" : "NORMAL";
db.pragma(`synchronous = ${synchronous}`);
// Checkpoints run on the checkpointer thread (sqlite-checkpointer.js), never inside this thread's COMMIT.
db.pragma("wal_autocheckpoint = 0");
// Shared with the checkpointer: see its slots there.
const state = new Int32Array(workerData.state);
const [COMMITS, SLEEPING, FINISH] = [0, 1, 2];
const finishCheckpoint = db.prepare("PRAGMA wal_checkpoint(PASSIVE)");
const insert = db.prepare(
  "INSERT INTO messages (room, seq, id, nick, text, ts, cid, kind, target, detail, owner, reply_to) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
);
// A change's new state of the message it changed, in the transaction that inserts the change event.
const update = db.prepare(
  "UPDATE messages SET text = ?, edited = ?, deleted = ?, reactions = ? WHERE room = ? AND seq = ? AND kind IS NULL",
);
const setRoomSeq = db.prepare(
  "INSERT INTO rooms (room, last_seq) VALUES (?, ?) ON CONFLICT (room) DO UPDATE SET last_seq = excluded.last_seq",
);
const prune = db.prepare("DELETE FROM messages WHERE room = ? AND seq <= ?");
const commit = db.transaction((rows, updates, seqs) => {
  for (const row of rows) insert.run(...row);
  for (const row of updates ?? []) update.run(...row);
  for (const [room, seq] of seqs) setRoomSeq.run(room, seq);
});

// Search indexing in batches. FTS5 writes a new segment (and merge work) per transaction, which
// cost more than the message itself when every small commit carried it; so new rows are indexed
// here, many at a time, in a transaction of their own: INDEX_SLICE_ROWS at a time once that many
// wait (in a turn of their own, after any batch that arrived meanwhile), INDEX_WITHIN_MS after the
// oldest waiting one, or all of them when a search asks (`catch-up`), so a search started after an
// ack still finds the message. A batch that arrives during a slice waits for it, so a slice is
// what sets the acks' tail: 250 rows is ~3 ms of CPU where 1,000 were ~10 (p99 ack 13.7-37 ms
// instead of 27-47 at 2,700 appends/s; index CPU per row within ~5%: bench/results/profiles.md,
// "Tail latency at half saturation"). Each row is indexed
// with its text as it is then (an edit or delete that came first is already in it); edits and
// deletes of indexed rows are kept in step by the triggers. `rooms.indexed_seq`, updated in the same
// transaction, says how far each room is indexed, so rows committed but not indexed before a crash
// are indexed at the next start; hence the transaction is not fsync'd (synchronous=NORMAL): the next
// batch's fsync writes it out, and a crash that loses it first loses nothing acked.
const INDEX_SLICE_ROWS = 250;
const INDEX_WITHIN_MS = 500;
let unindexed = []; // [room, seq] committed since the last indexing, in commit order
let behindOnDisk = true; // at start, or after indexing failed: what to index is read from `rooms`
let indexTimer;
let sliceScheduled = false;
let searchStatements;

/** The indexing statements, once the search index exists (search creates it after the store opens). */
const search = () => {
  if (searchStatements) return searchStatements;
  try {
    // Whole-batch statements over the rows as one JSON array of [room, seq] (json_each), in
    // commit order: three statement runs per indexing, not two or three per row.
    searchStatements = {
      lastKey: db.prepare("SELECT coalesce(max(key), 0) FROM message_search_keys").pluck(),
      // Ignored: rows already indexed (by the migration). A row deleted meanwhile is not found.
      keys: db.prepare(
        `INSERT OR IGNORE INTO message_search_keys (room, seq)
         SELECT m.room, m.seq FROM json_each(?) j JOIN messages m ON m.room = j.value ->> 0 AND m.seq = j.value ->> 1
         ORDER BY j.key`,
      ),
      // The keys just given (all above the largest before), with each row's text as it is now.
      texts: db.prepare(
        `INSERT INTO message_search (rowid, text, room_tag)
         SELECT k.key, m.text, 'r' || hex(m.room) FROM message_search_keys k
         JOIN messages m ON m.room = k.room AND m.seq = k.seq WHERE k.key > ? ORDER BY k.key`,
      ),
      marks: db.prepare(
        `UPDATE rooms SET indexed_seq = x.seq
         FROM (SELECT value ->> 0 AS room, max(value ->> 1) AS seq FROM json_each(?) GROUP BY 1) x
         WHERE rooms.room = x.room AND rooms.indexed_seq < x.seq`,
      ),
      behind: db.prepare(
        `SELECT m.room, m.seq FROM rooms r JOIN messages m ON m.room = r.room AND m.seq > r.indexed_seq
         WHERE r.indexed_seq < r.last_seq ORDER BY m.ts, m.room, m.seq`,
      ),
    };
  } catch {
    return undefined; // no index (yet): its migration indexes every row there when it is made
  }
  return searchStatements;
};

const indexTransaction = db.transaction((statements, rows) => {
  const list = JSON.stringify(rows);
  const before = statements.lastKey.get();
  statements.keys.run(list);
  statements.texts.run(before);
  statements.marks.run(list);
});
const indexRows = (statements, rows) => {
  db.pragma("synchronous = NORMAL");
  try {
    indexTransaction(statements, rows);
  } finally {
    db.pragma(`synchronous = ${synchronous}`);
  }
};

/** Indexes the first `count` rows waiting (all of them by default, and all behind on disk). */
const catchUpIndex = (count = Number.POSITIVE_INFINITY) => {
  clearTimeout(indexTimer);
  indexTimer = undefined;
  const statements = search();
  if (!statements) {
    unindexed = [];
    behindOnDisk = false;
    return;
  }
  if (unindexed.length === 0 && !behindOnDisk) return;
  const all = behindOnDisk || count >= unindexed.length;
  try {
    const rows = behindOnDisk ? statements.behind.raw().all() : all ? unindexed : unindexed.slice(0, count);
    indexRows(statements, rows);
    behindOnDisk = false;
  } catch {
    // Retried from `rooms` (which the failed transaction left as it was) with the next rows.
    behindOnDisk = true;
  }
  unindexed = all || behindOnDisk ? [] : unindexed.slice(count);
  planIndexing();
};

const indexSlice = () => {
  sliceScheduled = false;
  if (unindexed.length >= INDEX_SLICE_ROWS) catchUpIndex(INDEX_SLICE_ROWS);
};

/** A slice when enough rows wait, else the timer for the oldest. */
const planIndexing = () => {
  if (unindexed.length >= INDEX_SLICE_ROWS) {
    if (!sliceScheduled) {
      sliceScheduled = true;
      setImmediate(indexSlice);
    }
  } else if (unindexed.length > 0 && indexTimer === undefined) indexTimer = setTimeout(catchUpIndex, INDEX_WITHIN_MS);
};

const noteCommitted = (rows) => {
  if (!behindOnDisk) for (const row of rows) unindexed.push([row[0], row[1]]);
  planIndexing();
};

// After a failed commit the batches already sent behind it were built on seqs that no longer
// hold: they are dropped unread until the main thread, having taken those seqs back, says "reset".
let failed = false;

catchUpIndex(); // rows a crash left unindexed

// A batch comes as JSON (`WriterBatch`, see sqlite.ts); the other messages are plain words.
parentPort.on("message", (message) => {
  const batch = message[0] === "{" ? JSON.parse(message) : message;
  if (batch === "close") {
    catchUpIndex();
    db.close();
    parentPort.postMessage({ closed: true });
    return;
  }
  if (batch === "catch-up") {
    catchUpIndex();
    parentPort.postMessage({ indexed: true });
    return;
  }
  if (batch === "autocheckpoint") {
    db.pragma("wal_autocheckpoint = 1000"); // the checkpointer failed: SQLite's default, in this thread's commits
    return;
  }
  if (batch === "reset") {
    failed = false;
    return;
  }
  if (failed) {
    parentPort.postMessage({ ok: false, error: "an earlier write failed" });
    return;
  }
  try {
    commit(batch.rows, batch.updates, batch.seqs);
  } catch (error) {
    failed = true;
    parentPort.postMessage({ ok: false, error: error instanceof Error ? error.message : String(error) });
    return;
  }
  try {
    for (const [room, cutoff] of batch.prune) prune.run(room, cutoff);
  } catch {
    // Retention is caught up by the next prune; the batch itself is durable.
  }
  parentPort.postMessage({ ok: true });
  // After the ack: the checkpointer's turn, indexing. Neither is what the ack promises.
  Atomics.add(state, COMMITS, 1);
  if (Atomics.load(state, SLEEPING) === 1) Atomics.notify(state, COMMITS);
  if (Atomics.load(state, FINISH) === 1) {
    try {
      finishCheckpoint.get();
    } catch {
      // The checkpointer asks again while the WAL stays long.
    }
    Atomics.store(state, FINISH, 0);
    Atomics.notify(state, FINISH);
  }
  noteCommitted(batch.rows);
});
