// The SQLite store's writer thread: commits the batches the main thread prepared, one at a time,
// so the commit's fsync (2-15 ms on a busy disk) blocks this thread and not the event loop that
// serves every client. Plain JavaScript, so it runs with no loader in any install.
import { parentPort, workerData } from "node:worker_threads";
import Database from "better-sqlite3";

const db = new Database(workerData.file);
db.pragma(`synchronous = ${workerData.synchronous === "full" ? "FULL" : "NORMAL"}`);
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

// After a failed commit the batches already sent behind it were built on seqs that no longer
// hold: they are dropped unread until the main thread, having taken those seqs back, says "reset".
let failed = false;

parentPort.on("message", (batch) => {
  if (batch === "close") {
    db.close();
    parentPort.postMessage({ closed: true });
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
});
