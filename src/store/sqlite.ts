import { statfsSync } from "node:fs";
import { dirname } from "node:path";
import { Worker } from "node:worker_threads";
import type Database from "better-sqlite3";
import type { ChatMessage, NewMessage } from "../chat/message.ts";
import type { AppendResult, HistoryStore, Retention, RoomBounds } from "./history-store.ts";
import { CountPruning, scheduleAgePruning } from "./retention.ts";
import { type Pending, SqliteBatches } from "./sqlite-batches.ts";
import { SqliteReads } from "./sqlite-reads.ts";
import { openHistoryFile } from "./sqlite-schema.ts";

export interface SqliteStoreOptions {
  file: string;
  retention: Retention;
  /** `full` fsyncs every commit (survives power loss); `normal` survives a process crash only. */
  synchronous: "full" | "normal";
}

/**
 * Batches handed to the writer and not yet answered. One: what arrives during a commit waits
 * here and goes as one batch when it is answered, so under load there is one postMessage and
 * one commit (fsync) per commit time, not one per event-loop turn. (Two, so the writer never
 * waits for this thread between commits, measured slightly worse: more, smaller commits on
 * a shared core.)
 */
const MAX_IN_FLIGHT = 1;
/**
 * The least time from one batch's hand-over to the next's while appends keep coming. Much of a
 * commit's CPU does not depend on its size (the fsync's device flush and inode write, the two
 * threads' messages and wake-ups), and the server's threads share one core: committed back to
 * back (~1 ms each) batches were 3-6 rows at 3,000 appends/s and the writer took ~65-73 µs of
 * CPU per append; 4 ms apart they are ~15 rows and it takes ~30-50. The price is latency: an
 * append that arrives within 4 ms of the last hand-over waits for the rest of it (the store
 * alone at 3,000/s: ack p50 0.4 → 3.5 ms, p99 ~4 → ~8.5 ms). One that finds the writer idle and
 * no hand-over that recent goes at once. bench/results/profiles.md, "The durable append's CPU".
 */
const COMMIT_GAP_MS = 4;
/**
 * Free space the write probe wants besides its commit: a batch of the largest messages (64 KiB
 * each by default), their search index rows and the WAL frames' headers, with room to spare.
 */
const PROBE_ROOM_BYTES = 1024 * 1024;

/**
 * What the writer and checkpointer threads share (`sqlite-checkpointer.js`): the writer's commit
 * count, the checkpointer's "asleep", "finish the checkpoint" and "closing" flags, as Int32 slots.
 */
const CHECKPOINT_SLOTS = 4;
const CLOSING_SLOT = 3;

type WriterReply = { ok: true } | { ok: false; error: string } | { indexed: true } | { closed: true };

/**
 * The default store: one SQLite file in WAL mode. Appends made during one event-loop turn
 * are committed together in one transaction (group commit), so durability costs one fsync
 * per batch, not one per message. The main thread orders each batch (`sqlite-batches.ts`: seq,
 * id, duplicate cids, changes checked) and a writer thread (`sqlite-writer.js`) commits the
 * batches in order, so the fsync never blocks the event loop. Appends that arrive while a batch
 * is with the writer wait and go as the next batch when it answers (and not sooner than
 * COMMIT_GAP_MS after the previous one), so under load there is one fsync per commit time, not
 * one per turn. Appends settle only after their commit. A third
 * thread (`sqlite-checkpointer.js`) copies the WAL into the file, so no commit waits for a
 * checkpoint (SQLite's default runs it inside the commit that fills the WAL). Reads
 * (`sqlite-reads.ts`) run on the main thread's own connection and see settled rows only. One
 * process owns the file.
 *
 * The shared `GroupCommit` does not fit here: its commit is one call that answers a batch,
 * while this store hands the next batch's seqs out before the previous one is answered and must
 * take them back when it fails; the retention schedule (`retention.ts`) is the shared one.
 */
export class SqliteStore implements HistoryStore {
  private readonly db: Database.Database;
  private readonly batches: SqliteBatches;
  private readonly reads: SqliteReads;
  private pending: Pending[] = [];
  private flushScheduled = false;
  /** When the last batch was handed to the writer (`performance.now()`). */
  private lastPost = Number.NEGATIVE_INFINITY;
  private readonly writer: Worker;
  private readonly checkpointer: Worker;
  private readonly checkpointState = new Int32Array(new SharedArrayBuffer(CHECKPOINT_SLOTS * 4));
  private broken: Error | undefined;
  private idle: (() => void)[] = [];
  /** Searches waiting for the writer to index what it has committed, in the order they asked. */
  private readonly caughtUp: (() => void)[] = [];
  private closed = false;
  private readonly deleteRow;
  private readonly pruneAge;
  private readonly probe;
  private readonly stopAgePruning: () => void;

  private readonly options: SqliteStoreOptions;

  constructor(options: SqliteStoreOptions) {
    this.options = options;
    this.db = openHistoryFile(options.file, options.synchronous);
    // The checkpointer thread checkpoints: not this thread's event loop in a delete's commit.
    this.db.pragma("wal_autocheckpoint = 0");
    const workerData = { file: options.file, synchronous: options.synchronous, state: this.checkpointState.buffer };
    this.writer = new Worker(new URL("./sqlite-writer.js", import.meta.url), {
      workerData,
      execArgv: [],
      name: "sqlite-writer", // the thread's name in /proc and tools: its CPU told apart
    });
    this.writer.unref(); // held only while a batch is in flight or a search waits
    this.checkpointer = new Worker(new URL("./sqlite-checkpointer.js", import.meta.url), {
      workerData,
      execArgv: [],
      name: "sqlite-ckpt",
    });
    this.checkpointer.unref(); // it sleeps on shared memory until the writer commits
    // Without it, the writer checkpoints in its commits again, as SQLite does by default. Any end of
    // the thread while the store is open is a failure (an uncaught error, out of memory, terminated),
    // and 'exit' follows each; 'error' needs a listener of its own or it would end the process.
    this.checkpointer.on("error", () => {});
    this.checkpointer.on("exit", () => {
      if (!this.broken && !this.closed) this.writer.postMessage("autocheckpoint");
    });
    this.writer.on("message", (reply: WriterReply) => {
      if ("closed" in reply) return;
      if ("indexed" in reply) return this.caughtUp.shift()?.();
      this.settle(reply.ok ? undefined : new Error(reply.error));
    });
    this.writer.on("error", (error) => {
      this.broken = error;
      for (const done of this.caughtUp.splice(0)) done();
      this.settle(error);
      for (const left of this.batches.inFlight.splice(0)) for (const p of left.batch) p.reject(error);
      this.notifyIdle();
    });
    this.batches = new SqliteBatches(this.db, new CountPruning(options.retention.maxMessagesPerRoom));
    this.reads = new SqliteReads(this.db, (room) => this.batches.floor(room));
    this.deleteRow = this.db.prepare<[string, number]>("DELETE FROM messages WHERE room = ? AND seq = ?");
    this.pruneAge = this.db.prepare<[number]>("DELETE FROM messages WHERE ts < ?");
    this.probe = this.db.prepare<[number]>("INSERT OR REPLACE INTO write_probe (id, at) VALUES (1, ?)");
    this.stopAgePruning = scheduleAgePruning(options.retention.maxAgeMs, (cutoff) => {
      if (this.db.open) this.pruneAge.run(cutoff);
    });
  }

  /** The SQLite file this store keeps the history in (search indexes the same file). */
  get file(): string {
    return this.options.file;
  }

  append(input: NewMessage): Promise<AppendResult> {
    if (this.broken || this.closed) return Promise.reject(this.broken ?? new Error("The store is closed."));
    return new Promise((resolve, reject) => {
      this.pending.push({ input, resolve, reject });
      // With the writer's hands full, appends wait for its next answer (which flushes them).
      if (!this.flushScheduled && this.batches.inFlight.length < MAX_IN_FLIGHT) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Orders the waiting appends and hands them to the writer; settled when it has committed. */
  flush(): void {
    this.flushScheduled = false;
    if (this.pending.length === 0 || this.batches.inFlight.length >= MAX_IN_FLIGHT) return;
    const now = performance.now();
    const wait = this.lastPost + COMMIT_GAP_MS - now;
    if (wait > 0 && !this.closed) {
      this.flushScheduled = true; // appends meanwhile join this batch
      setTimeout(() => this.flush(), wait);
      return;
    }
    this.lastPost = now;
    const batch = this.pending;
    this.pending = [];
    if (this.broken) {
      for (const p of batch) p.reject(this.broken);
      return;
    }
    let prepared: ReturnType<SqliteBatches["prepare"]>;
    try {
      prepared = this.batches.prepare(batch);
    } catch (error) {
      for (const p of batch) p.reject(error);
      this.notifyIdle();
      return;
    }
    if (this.batches.inFlight.length === 1) this.writer.ref();
    // As one JSON string: cloning a string is a copy, where arrays of row arrays are cloned value by value.
    this.writer.postMessage(JSON.stringify(prepared));
  }

  /** The writer's answer for the oldest batch in flight. */
  private settle(error: Error | undefined): void {
    if (error) {
      const [failed, ...behind] = this.batches.failed();
      // The writer drops the batches behind this one until it reads "reset".
      if (failed) {
        for (const later of [failed, ...behind]) for (const p of later.batch) p.reject(error);
        if (!this.broken) this.writer.postMessage("reset");
      }
    } else {
      const done = this.batches.committed();
      if (done && !done.aborted) for (const [i, p] of done.batch.entries()) p.resolve(done.results[i] as AppendResult);
    }
    if (this.batches.inFlight.length === 0 && this.caughtUp.length === 0) this.writer.unref();
    this.flush(); // what waited for the writer: one batch
    this.notifyIdle();
  }

  private notifyIdle(): void {
    if (this.batches.inFlight.length > 0 || this.pending.length > 0) return;
    for (const done of this.idle.splice(0)) done();
  }

  latest(room: string, limit: number): Promise<ChatMessage[]> {
    return Promise.resolve(this.reads.latest(room, limit));
  }

  after(room: string, after: number, limit: number): Promise<ChatMessage[]> {
    return Promise.resolve(this.reads.after(room, after, limit));
  }

  before(room: string, before: number, limit: number): Promise<ChatMessage[]> {
    return Promise.resolve(this.reads.before(room, before, limit));
  }

  pageStart(room: string, before: number, limit: number): Promise<number> {
    return Promise.resolve(this.reads.pageStart(room, before, limit));
  }

  part(room: string, after: number, until: number, limit: number, maxBytes: number): Promise<ChatMessage[]> {
    return Promise.resolve(this.reads.part(room, after, until, limit, maxBytes));
  }

  countMessages(room: string, after: number, upTo: number, limit: number): Promise<number> {
    return Promise.resolve(this.reads.countMessages(room, after, upTo, limit));
  }

  bounds(room: string): Promise<RoomBounds> {
    return Promise.resolve(this.reads.bounds(room));
  }

  delete(room: string, seq: number): Promise<boolean> {
    return Promise.resolve(this.deleteRow.run(room, seq).changes > 0);
  }

  /**
   * Resolves once every row committed so far is in the search index (the writer indexes new rows
   * in batches: a search asks first, so it finds whatever was acked before it).
   */
  searchCaughtUp(): Promise<void> {
    if (this.broken || this.closed) return Promise.resolve();
    return new Promise((done) => {
      this.caughtUp.push(() => {
        if (this.caughtUp.length === 0 && this.batches.inFlight.length === 0) this.writer.unref();
        done();
      });
      this.writer.ref();
      this.writer.postMessage("catch-up");
    });
  }

  /** The file was opened, checked and its schema made by the constructor: nothing is left to wait for. */
  start(): Promise<void> {
    return Promise.resolve();
  }

  ping(): Promise<void> {
    this.db.prepare("SELECT 1").get();
    return Promise.resolve();
  }

  /**
   * On this thread's connection, and only while the writer is idle (so it holds no lock to wait
   * for): one small commit, a few ms of fsync, at most once a second while writes are failing.
   * The disk must also have room to grow: on a full disk the probe's one page still fits in the
   * WAL's tail that the failed append left allocated, so the commit alone said "writes work"
   * while every append that needs a new page was still refused.
   */
  probeWrite(): Promise<void> {
    if (this.broken || this.closed) return Promise.reject(this.broken ?? new Error("The store is closed."));
    if (this.batches.inFlight.length > 0) {
      return Promise.reject(new Error("appends are being written; their outcome decides"));
    }
    const { bavail, bsize } = statfsSync(dirname(this.options.file));
    const free = bavail * bsize;
    if (free < PROBE_ROOM_BYTES) {
      return Promise.reject(new Error(`${free} bytes free next to ${this.options.file}: the disk is full`));
    }
    this.probe.run(Date.now());
    return Promise.resolve();
  }

  /** Wakes the checkpointer with "closing" and waits for it to close its connection and end. */
  private async stopCheckpointer(): Promise<void> {
    if (this.checkpointer.threadId < 0) return; // it has ended (failed) already
    this.checkpointer.ref(); // its exit is awaited
    const exited = new Promise((done) => this.checkpointer.once("exit", done));
    Atomics.store(this.checkpointState, CLOSING_SLOT, 1);
    for (let slot = 0; slot < CHECKPOINT_SLOTS; slot++) Atomics.notify(this.checkpointState, slot);
    await exited;
  }

  /** Commits what is pending, then stops the writer (which indexes what is left) and closes the file. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true; // first: what is pending goes now, not after the commit gap
    this.flush();
    this.stopAgePruning();
    if (this.batches.inFlight.length > 0 || this.pending.length > 0) {
      await new Promise<void>((done) => this.idle.push(done));
    }
    if (!this.broken) {
      this.writer.ref();
      await new Promise<void>((done) => {
        this.writer.on("message", (reply: WriterReply) => {
          if ("closed" in reply) done();
        });
        this.writer.once("exit", () => done());
        this.writer.postMessage("close");
      });
    }
    await this.writer.terminate();
    await this.stopCheckpointer();
    if (this.db.open) this.db.close();
  }
}
