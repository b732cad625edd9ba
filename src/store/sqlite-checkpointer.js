// The SQLite store's checkpointer thread: copies the WAL's committed pages into the database file
// on a connection of its own, so the writer thread never does it inside a COMMIT. (SQLite's
// auto-checkpoint runs in the COMMIT of the connection that pushed the WAL past 1,000 pages: every
// ~0.2 s at 2,000 appends/s, ~6 ms each, while every ack waited.) A PASSIVE checkpoint runs
// alongside the writer and never blocks it. Plain JavaScript, like the writer.
//
// It waits on shared memory (`CheckpointState` in sqlite.ts), not on messages: the writer counts
// its commits there and wakes this thread only when it sleeps, so an idle store costs no wake-ups.
import { workerData } from "node:worker_threads";
import Database from "better-sqlite3";

// Slots of the shared Int32Array (the same in sqlite-writer.js and sqlite.ts).
const COMMITS = 0; // the writer's commits so far
const SLEEPING = 1; // 1 while this thread waits for a commit: the writer then wakes it
const FINISH = 2; // 1: the writer is asked to checkpoint what is left itself, so the WAL restarts
const CLOSING = 3; // 1: the store is closing

/** Time between checkpoints while writes go on: fewer, larger ones copy a page written twice once. */
const EVERY_MS = 100;
/**
 * The WAL restarts from its beginning only when a transaction starts with every frame in it copied,
 * which a PASSIVE checkpoint racing steady commits rarely leaves. Past this many frames (16 MB of 4 KB
 * pages) the writer is asked to copy the few frames written since this thread's last pass itself,
 * between two batches (a short stall: tens of frames and one fsync), so its next commit restarts it.
 */
const FINISH_AT_FRAMES = 4000;
/**
 * The last resort, if that cannot happen (a reader holding an old snapshot keeps frames from being
 * copied): a TRUNCATE checkpoint, which waits for readers and for a gap between the writer's
 * transactions, then holds the writer off while it runs. The WAL may grow meanwhile: with the
 * finish turned off, appends as fast as they go took it to ~24,000 frames (100 MB).
 */
const TRUNCATE_AT_FRAMES = 16_000;

const state = new Int32Array(workerData.state);
const db = new Database(workerData.file, { timeout: 5000 });
db.pragma(`synchronous = ${workerData.synchronous === "full" ? "FULL" : "NORMAL"}`);
db.pragma("wal_autocheckpoint = 0");
const passive = db.prepare("PRAGMA wal_checkpoint(PASSIVE)");
const truncate = db.prepare("PRAGMA wal_checkpoint(TRUNCATE)");

const closing = () => Atomics.load(state, CLOSING) === 1;
/** Sleeps `ms`, or less if the store closes (`close` wakes the CLOSING slot). */
const sleep = (ms) => Atomics.wait(state, CLOSING, 0, ms);

let seen = Atomics.load(state, COMMITS);
while (!closing()) {
  Atomics.store(state, SLEEPING, 1);
  if (Atomics.load(state, COMMITS) === seen) Atomics.wait(state, COMMITS, seen);
  Atomics.store(state, SLEEPING, 0);
  if (closing()) break;
  sleep(EVERY_MS);
  seen = Atomics.load(state, COMMITS);
  try {
    const { log } = passive.get();
    if (log >= TRUNCATE_AT_FRAMES) truncate.get();
    else if (log >= FINISH_AT_FRAMES) {
      Atomics.store(state, FINISH, 1);
      // The writer does it after its next commit; with no commit for a second, this thread's next
      // pass copies every frame and the next commit restarts the WAL anyway.
      Atomics.wait(state, FINISH, 1, 1000);
      Atomics.store(state, FINISH, 0);
    }
  } catch {
    // Busy or failing: the next commit brings the next try; the WAL keeps every frame meanwhile.
  }
}
db.close();
