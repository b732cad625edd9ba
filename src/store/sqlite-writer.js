// The SQLite store's writer thread: commits the batches the main thread prepared, in order,
// so the commit's fsync (2-15 ms on a busy disk) blocks this thread and not the event loop that
// serves every client. Plain JavaScript, so it runs with no loader in any install.
import { parentPort, receiveMessageOnPort, workerData } from "node:worker_threads";
import Database from "better-sqlite3";

const db = new Database(workerData.file);
db.pragma(`synchronous = ${workerData.synchronous === "full" ? "FULL" : "NORMAL"}`);
const insert = db.prepare("INSERT INTO messages (room, seq, id, nick, text, ts, cid) VALUES (?, ?, ?, ?, ?, ?, ?)");
const setRoomSeq = db.prepare(
  "INSERT INTO rooms (room, last_seq) VALUES (?, ?) ON CONFLICT (room) DO UPDATE SET last_seq = excluded.last_seq",
);
const prune = db.prepare("DELETE FROM messages WHERE room = ? AND seq <= ?");
// Several batches in one transaction: the last seq of a room wins, as the batches are in order.
const commit = db.transaction((batches) => {
  for (const batch of batches) for (const row of batch.rows) insert.run(...row);
  for (const batch of batches) for (const [room, seq] of batch.seqs) setRoomSeq.run(room, seq);
});

// After a failed commit the batches already sent behind it were built on seqs that no longer
// hold: they are dropped unread until the main thread, having taken those seqs back, says "reset".
let failed = false;

/**
 * Commits batches that queued up during the last commit together: one transaction and one fsync
 * for all of them, so under load the fsyncs do not queue one per event-loop turn. One answer
 * per batch, in order (`batches` of them in one reply).
 */
const commitAll = (batches) => {
  if (failed) {
    parentPort.postMessage({ ok: false, error: "an earlier write failed", batches: batches.length });
    return;
  }
  try {
    commit(batches);
  } catch (error) {
    failed = true;
    // the first batch carries the error; the main thread has rejected the ones behind it with it
    parentPort.postMessage({
      ok: false,
      error: error instanceof Error ? error.message : String(error),
      batches: batches.length,
    });
    return;
  }
  try {
    for (const batch of batches) for (const [room, cutoff] of batch.prune) prune.run(room, cutoff);
  } catch {
    // Retention is caught up by the next prune; the batches themselves are durable.
  }
  parentPort.postMessage({ ok: true, batches: batches.length });
};

parentPort.on("message", (first) => {
  // What else is already waiting, in order: batches are grouped, "reset" and "close" keep their place.
  const queue = [first];
  for (let next = receiveMessageOnPort(parentPort); next; next = receiveMessageOnPort(parentPort)) {
    queue.push(next.message);
  }
  let group = [];
  for (const item of queue) {
    if (typeof item !== "string") {
      group.push(item);
      continue;
    }
    if (group.length > 0) commitAll(group);
    group = [];
    if (item === "close") {
      db.close();
      parentPort.postMessage({ closed: true });
      return;
    }
    if (item === "reset") failed = false;
  }
  if (group.length > 0) commitAll(group);
});
