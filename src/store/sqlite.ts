import { Worker } from "node:worker_threads";
import type Database from "better-sqlite3";
import { applyChange, type ChangeTarget, changeEvent, changeKey } from "../chat/conversation.ts";
import type { ChatMessage, NewMessage } from "../chat/message.ts";
import {
  CONVERSATION_COLUMNS,
  type ConversationRow,
  conversationSelect,
  keyOfRow,
  messageDetail,
  rowToChatMessage,
  stateColumns,
} from "./conversation-rows.ts";
import {
  type AppendResult,
  type HistoryStore,
  partBytes,
  type Retention,
  type RoomBounds,
  refusal,
  repeatOf,
  stored,
  storedMessage,
} from "./history-store.ts";
import { checkSqliteFile, openSqliteFile } from "./sqlite-file.ts";

export interface SqliteStoreOptions {
  file: string;
  retention: Retention;
  /** `full` fsyncs every commit (survives power loss); `normal` survives a process crash only. */
  synchronous: "full" | "normal";
}

interface Pending {
  input: NewMessage;
  resolve: (result: AppendResult) => void;
  reject: (error: unknown) => void;
}

/** A batch the writer thread is committing: settled, in order, when it answers. */
interface InFlight {
  batch: Pending[];
  results: AppendResult[];
  /** Messages whose state its changes set (`room\0seq`): a later change starts from them until they are committed. */
  states: string[];
  /** `room\0cid` of its new messages: a repeat of one finds it here until it is committed. */
  cids: string[];
  /** Per room, the first seq this batch hands out. */
  firstSeqs: Map<string, number>;
  /** Already rejected: an earlier batch failed, and the writer drops this one unread. */
  aborted: boolean;
}

/**
 * Batches handed to the writer and not yet answered. One: what arrives during a commit waits
 * here and goes as one batch when it is answered, so under load there is one postMessage and
 * one commit (fsync) per commit time, not one per event-loop turn. (Two, so the writer never
 * waits for this thread between commits, measured slightly worse: more, smaller commits on
 * a shared core.)
 */
const MAX_IN_FLIGHT = 1;

/** room, seq, id, nick, text, ts, cid, kind, target, detail, owner, reply_to */
type Row = [
  string,
  number,
  string,
  string,
  string,
  number,
  string | null,
  string | null,
  number | null,
  string | null,
  string | null,
  number | null,
];
/** A changed message's new state: text, edited, deleted, reactions, then room and seq. */
type Update = [string, number | null, number, string | null, string, number];
type WriterReply = { ok: true } | { ok: false; error: string } | { closed: true };

type MessageRow = ConversationRow & { seq: number };

interface TargetRow {
  seq: number;
  id: string;
  nick: string;
  text: string;
  ts: number;
  reply_to: number | null;
  edited: number | null;
  deleted: number | null;
  reactions: string | null;
  owner: string | null;
  kind: string | null;
  detail: string | null;
}

const SELECT = conversationSelect("messages");

const SCHEMA = `
CREATE TABLE IF NOT EXISTS rooms (room TEXT PRIMARY KEY, last_seq INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS messages (
  room TEXT NOT NULL, seq INTEGER NOT NULL, id TEXT NOT NULL, nick TEXT NOT NULL,
  text TEXT NOT NULL, ts INTEGER NOT NULL, cid TEXT,
  PRIMARY KEY (room, seq)
) WITHOUT ROWID;
CREATE UNIQUE INDEX IF NOT EXISTS messages_room_cid ON messages (room, cid) WHERE cid IS NOT NULL;
CREATE INDEX IF NOT EXISTS messages_ts ON messages (ts);
CREATE TABLE IF NOT EXISTS write_probe (id INTEGER PRIMARY KEY, at INTEGER NOT NULL);
`;

/**
 * The default store: one SQLite file in WAL mode. Appends made during one event-loop turn
 * are committed together in one transaction (group commit), so durability costs one fsync
 * per batch, not one per message. The main thread orders each batch (seq, id, duplicate
 * cids) and a writer thread commits the batches in order, so the fsync never blocks the event
 * loop. Appends that arrive while a batch is with the writer wait and go as the next batch
 * when it answers, so under load there is one fsync per commit time, not one per turn.
 * Appends settle only after their commit. If a commit fails, its appends are rejected and the
 * seqs handed out are taken back, so no gap appears (the appends waiting behind it are then
 * ordered afresh). Reads run on the main thread's own connection and see settled rows only.
 * One process owns the file.
 */
export class SqliteStore implements HistoryStore {
  private readonly db: Database.Database;
  private readonly lastSeq = new Map<string, number>();
  private readonly prunedTo = new Map<string, number>();
  private pending: Pending[] = [];
  private flushScheduled = false;
  private readonly writer: Worker;
  private readonly inFlight: InFlight[] = [];
  private readonly unsettledCids = new Map<string, ChatMessage>();
  /** The state changes of batches not yet committed gave messages, by `room\0seq`, with their owners. */
  private readonly unsettledStates = new Map<string, ChangeTarget>();
  /** The batch being prepared, and what it gave so far (a change may name a message in it). */
  private preparing: { batch: Pending[]; results: AppendResult[] } | undefined;
  /**
   * Per room, the lowest seq handed out but not yet settled. Reads stop below it: a row the
   * writer has committed is not history until its append has settled here (and so has been
   * broadcast), or a joiner could get it from history and then again live.
   */
  private readonly unsettledFrom = new Map<string, number>();
  private broken: Error | undefined;
  private idle: (() => void)[] = [];
  private closed = false;
  private readonly statements;
  private readonly ageTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: SqliteStoreOptions) {
    // The writer thread opens the same file: an in-memory database would be a different one.
    if (options.file === ":memory:") throw new Error("The SQLite store needs a file; use the memory store.");
    this.db = openSqliteFile(options.file, options.synchronous);
    try {
      checkSqliteFile(this.db, options.file);
      this.db.exec(SCHEMA);
      const columns = this.db.pragma("table_info(messages)") as { name: string }[];
      const have = new Set(columns.map((c) => c.name));
      for (const [name, type] of CONVERSATION_COLUMNS) {
        if (!have.has(name)) this.db.exec(`ALTER TABLE messages ADD COLUMN ${name} ${type}`);
      }
    } catch (error) {
      this.db.close();
      throw error;
    }
    this.writer = new Worker(new URL("./sqlite-writer.js", import.meta.url), {
      workerData: { file: options.file, synchronous: options.synchronous },
      execArgv: [],
    });
    this.writer.unref(); // held only while a batch is in flight
    this.writer.on("message", (reply: WriterReply) => {
      if ("closed" in reply) return;
      this.settle(reply.ok ? undefined : new Error(reply.error));
    });
    this.writer.on("error", (error) => {
      this.broken = error;
      this.settle(error);
      for (const left of this.inFlight.splice(0)) for (const p of left.batch) p.reject(error);
      this.notifyIdle();
    });
    const db = this.db;
    this.statements = {
      roomSeq: db.prepare<[string], { last_seq: number }>("SELECT last_seq FROM rooms WHERE room = ?"),
      byCid: db.prepare<[string, string], MessageRow>(`${SELECT} WHERE m.room = ? AND m.cid = ?`),
      latest: db.prepare<[string, number], MessageRow>(`${SELECT} WHERE m.room = ? ORDER BY m.seq DESC LIMIT ?`),
      after: db.prepare<[string, number, number], MessageRow>(
        `${SELECT} WHERE m.room = ? AND m.seq > ? ORDER BY m.seq LIMIT ?`,
      ),
      before: db.prepare<[string, number, number], MessageRow>(
        `${SELECT} WHERE m.room = ? AND m.seq < ? ORDER BY m.seq DESC LIMIT ?`,
      ),
      target: db.prepare<[string, number], TargetRow>(
        "SELECT seq, id, nick, text, ts, reply_to, edited, deleted, reactions, owner, kind, detail FROM messages WHERE room = ? AND seq = ?",
      ),
      first: db.prepare<[string], { seq: number }>("SELECT seq FROM messages WHERE room = ? ORDER BY seq LIMIT 1"),
      pageStart: db.prepare<[string, number, number], { seq: number | null }>(
        "SELECT min(seq) AS seq FROM (SELECT seq FROM messages WHERE room = ? AND seq < ? ORDER BY seq DESC LIMIT ?)",
      ),
      part: db.prepare<[string, number, number, number], MessageRow>(
        `${SELECT} WHERE m.room = ? AND m.seq > ? AND m.seq < ? ORDER BY m.seq LIMIT ?`,
      ),
      delete: db.prepare<[string, number]>("DELETE FROM messages WHERE room = ? AND seq = ?"),
      pruneAge: db.prepare<[number]>("DELETE FROM messages WHERE ts < ?"),
      probe: db.prepare<[number]>("INSERT OR REPLACE INTO write_probe (id, at) VALUES (1, ?)"),
    };
    if (options.retention.maxAgeMs > 0) {
      this.ageTimer = setInterval(() => this.pruneByAge(Date.now()), Math.min(60_000, options.retention.maxAgeMs));
      this.ageTimer.unref();
      this.pruneByAge(Date.now());
    }
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
      if (!this.flushScheduled && this.inFlight.length < MAX_IN_FLIGHT) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Orders the waiting appends and hands them to the writer; settled when it has committed. */
  flush(): void {
    this.flushScheduled = false;
    if (this.pending.length === 0 || this.inFlight.length >= MAX_IN_FLIGHT) return;
    const batch = this.pending;
    this.pending = [];
    if (this.broken) {
      for (const p of batch) p.reject(this.broken);
      return;
    }
    const touched = new Map<string, number>();
    const firstSeqs = new Map<string, number>();
    const cids: string[] = [];
    const rows: Row[] = [];
    const updates: Update[] = [];
    const states: string[] = [];
    const results: AppendResult[] = [];
    this.preparing = { batch, results };
    try {
      for (const p of batch) {
        const input = p.input;
        results.push(
          input.change
            ? this.prepareChange(input, touched, firstSeqs, cids, rows, updates, states)
            : this.prepare(input, touched, firstSeqs, cids, rows),
        );
      }
    } catch (error) {
      this.preparing = undefined;
      for (const key of states) this.unsettledStates.delete(key);
      for (const [room, first] of firstSeqs) {
        this.lastSeq.set(room, first - 1); // batches still in flight keep theirs
        if (this.unsettledFrom.get(room) === first) this.unsettledFrom.delete(room);
      }
      for (const key of cids) this.unsettledCids.delete(key);
      for (const p of batch) p.reject(error);
      this.notifyIdle();
      return;
    }
    this.preparing = undefined;
    this.inFlight.push({ batch, results, states, cids, firstSeqs, aborted: false });
    if (this.inFlight.length === 1) this.writer.ref();
    this.writer.postMessage({ rows, updates, seqs: [...touched], prune: this.pruneByCount(touched) });
  }

  /** The writer's answer for the oldest batch in flight. */
  private settle(error: Error | undefined): void {
    const done = this.inFlight.shift();
    if (!done) return;
    if (this.inFlight.length === 0) this.writer.unref();
    if (done.aborted) {
      // rejected when the batch before it failed
    } else if (error) {
      // Everything handed out after the last commit is taken back: the writer drops the batches
      // behind this one until it reads "reset", and seqs are reread from the file.
      for (const p of done.batch) p.reject(error);
      for (const later of this.inFlight) {
        later.aborted = true;
        for (const p of later.batch) p.reject(error);
      }
      this.lastSeq.clear();
      this.unsettledCids.clear();
      this.unsettledStates.clear();
      this.unsettledFrom.clear();
      if (!this.broken) this.writer.postMessage("reset");
    } else {
      for (const key of done.cids) this.unsettledCids.delete(key);
      // A later batch still in flight may have changed it again: that batch's state stays.
      for (const key of done.states)
        if (!this.inFlight.some((later) => later.states.includes(key))) this.unsettledStates.delete(key);
      for (const room of done.firstSeqs.keys()) {
        const next = this.inFlight.find((later) => later.firstSeqs.has(room))?.firstSeqs.get(room);
        if (next === undefined) this.unsettledFrom.delete(room);
        else this.unsettledFrom.set(room, next);
      }
      for (const [i, p] of done.batch.entries()) p.resolve(done.results[i] as AppendResult);
    }
    this.flush(); // what waited for the writer: one batch
    this.notifyIdle();
  }

  private notifyIdle(): void {
    if (this.inFlight.length > 0 || this.pending.length > 0) return;
    for (const done of this.idle.splice(0)) done();
  }

  latest(room: string, limit: number): Promise<ChatMessage[]> {
    const floor = this.unsettledFrom.get(room);
    const rows =
      floor === undefined ? this.statements.latest.all(room, limit) : this.statements.before.all(room, floor, limit);
    return Promise.resolve(rows.reverse().map(toMessage));
  }

  after(room: string, after: number, limit: number): Promise<ChatMessage[]> {
    const floor = this.unsettledFrom.get(room) ?? Number.POSITIVE_INFINITY;
    return Promise.resolve(
      this.statements.after
        .all(room, after, limit)
        .filter((row) => row.seq < floor)
        .map(toMessage),
    );
  }

  before(room: string, before: number, limit: number): Promise<ChatMessage[]> {
    const bound = Math.min(before, this.unsettledFrom.get(room) ?? before);
    return Promise.resolve(this.statements.before.all(room, bound, limit).reverse().map(toMessage));
  }

  pageStart(room: string, before: number, limit: number): Promise<number> {
    if (limit <= 0) return Promise.resolve(0);
    const bound = Math.min(before, this.unsettledFrom.get(room) ?? before, Number.MAX_SAFE_INTEGER);
    return Promise.resolve(this.statements.pageStart.get(room, bound, limit)?.seq ?? 0);
  }

  /** Stepped row by row: the rows past the budget are never read (the one that passes it is). */
  part(room: string, after: number, until: number, limit: number, maxBytes: number): Promise<ChatMessage[]> {
    const bound = Math.min(until, this.unsettledFrom.get(room) ?? until, Number.MAX_SAFE_INTEGER);
    const messages: ChatMessage[] = [];
    let bytes = 0;
    for (const row of this.statements.part.iterate(room, after, bound, limit)) {
      bytes += partBytes(Buffer.byteLength(row.text));
      if (bytes > maxBytes && messages.length > 0) break; // leaving the loop resets the statement
      messages.push(toMessage(row));
    }
    return Promise.resolve(messages);
  }

  /** Settled rows only: a seq handed out to a batch still being written is not yet `last`. */
  bounds(room: string): Promise<RoomBounds> {
    const floor = this.unsettledFrom.get(room) ?? Number.POSITIVE_INFINITY;
    const first = this.statements.first.get(room)?.seq ?? 0;
    return Promise.resolve({
      first: first < floor ? first : 0,
      last: Math.min(this.statements.roomSeq.get(room)?.last_seq ?? 0, floor - 1),
    });
  }

  delete(room: string, seq: number): Promise<boolean> {
    return Promise.resolve(this.statements.delete.run(room, seq).changes > 0);
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
   */
  probeWrite(): Promise<void> {
    if (this.broken || this.closed) return Promise.reject(this.broken ?? new Error("The store is closed."));
    if (this.inFlight.length > 0) return Promise.reject(new Error("appends are being written; their outcome decides"));
    this.statements.probe.run(Date.now());
    return Promise.resolve();
  }

  /** Commits what is pending, then stops the writer and closes the file. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    if (this.ageTimer) clearInterval(this.ageTimer);
    if (this.inFlight.length > 0 || this.pending.length > 0) await new Promise<void>((done) => this.idle.push(done));
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
    if (this.db.open) this.db.close();
  }

  /** Gives an append its seq and id, or finds the message its cid already names. */
  private prepare(
    input: NewMessage,
    touched: Map<string, number>,
    firstSeqs: Map<string, number>,
    cids: string[],
    rows: Row[],
  ): AppendResult {
    const key = input.cid === undefined ? undefined : `${input.room}\u0000${input.cid}`;
    if (key !== undefined) {
      const earlier = this.earlier(input, key);
      if (earlier) return earlier;
    }
    const seq = this.seqOf(input.room) + 1;
    const message = storedMessage(input, seq);
    rows.push([
      ...[input.room, seq, message.id, input.nick, input.text, input.ts, input.cid ?? null],
      ...[null, null, messageDetail(input.file), input.owner ?? null, input.replyTo ?? null],
    ] as Row);
    if (key !== undefined) {
      this.unsettledCids.set(key, message);
      cids.push(key);
    }
    this.lastSeq.set(input.room, seq);
    touched.set(input.room, seq);
    if (!firstSeqs.has(input.room)) firstSeqs.set(input.room, seq);
    if (!this.unsettledFrom.has(input.room)) this.unsettledFrom.set(input.room, seq);
    return stored(message);
  }

  /** The append a cid already names (`key`: room and cid), settled or not. */
  private earlier(input: NewMessage, key: string): AppendResult | undefined {
    const unsettled = this.unsettledCids.get(key);
    if (unsettled) return repeatOf(unsettled, input, unsettledKeys.get(unsettled));
    const row = this.statements.byCid.get(input.room, input.cid as string);
    return row ? repeatOf(rowToChatMessage(row), input, keyOfRow(row)) : undefined;
  }

  /** A change: checked against the message's latest state (committed or not), then ordered like a message. */
  private prepareChange(
    input: NewMessage,
    touched: Map<string, number>,
    firstSeqs: Map<string, number>,
    cids: string[],
    rows: Row[],
    updates: Update[],
    states: string[],
  ): AppendResult {
    const request = input.change as NonNullable<NewMessage["change"]>;
    const cidKey = input.cid === undefined ? undefined : `${input.room}\u0000${input.cid}`;
    if (cidKey !== undefined) {
      const earlier = this.earlier(input, cidKey);
      if (earlier) return earlier;
    }
    const stateKey = `${input.room}\u0000${request.target}`;
    const target = this.targetOf(input.room, request.target, stateKey);
    const outcome = applyChange(target, request, { nick: input.nick, owner: input.owner }, input.ts);
    if ("refused" in outcome) return refusal(input, outcome.refused);
    const seq = this.seqOf(input.room) + 1;
    const id = storedMessage(input, seq).id;
    const event = changeEvent(request, outcome, { room: input.room, seq, id, nick: input.nick, ts: input.ts });
    const key = changeKey(request);
    const detail = JSON.stringify({ key, emoji: event.change?.emoji, on: event.change?.on });
    rows.push([
      ...[input.room, seq, id, input.nick, "", input.ts, input.cid ?? null],
      ...[request.kind, request.target, detail, input.owner ?? null, null],
    ] as Row);
    updates.push([...stateColumns(outcome.state), input.room, request.target]);
    this.unsettledStates.set(stateKey, { message: outcome.state, owner: target?.owner });
    states.push(stateKey);
    if (cidKey !== undefined) {
      unsettledKeys.set(event, key);
      this.unsettledCids.set(cidKey, event);
      cids.push(cidKey);
    }
    this.lastSeq.set(input.room, seq);
    touched.set(input.room, seq);
    if (!firstSeqs.has(input.room)) firstSeqs.set(input.room, seq);
    if (!this.unsettledFrom.has(input.room)) this.unsettledFrom.set(input.room, seq);
    return stored(event);
  }

  /** The message at `seq` as the latest change left it: uncommitted changes first, then new messages not yet committed, then the file. */
  private targetOf(room: string, seq: number, stateKey: string): ChangeTarget | undefined {
    const changed = this.unsettledStates.get(stateKey);
    if (changed) return changed;
    const batches = [...this.inFlight, ...(this.preparing ? [this.preparing] : [])];
    for (const { batch, results } of batches) {
      for (const [i, result] of results.entries()) {
        const m = result.message;
        if (m.room === room && m.seq === seq && !result.duplicate && !result.refused && !m.change) {
          return { message: m, owner: batch[i]?.input.owner };
        }
      }
    }
    const row = this.statements.target.get(room, seq);
    if (!row) return undefined;
    const message = rowToChatMessage({
      ...{ room, seq: row.seq, id: row.id, nick: row.nick, text: row.text, ts: row.ts, kind: null },
      ...{ detail: row.kind === null ? row.detail : null, reply_to: row.reply_to, edited: row.edited },
      ...{ deleted: row.deleted, reactions: row.reactions, t_seq: null, t_id: null, t_nick: null, t_text: null },
      ...{ t_ts: null, t_reply_to: null, t_edited: null, t_deleted: null, t_reactions: null, t_detail: null },
    });
    // a change event is no message to change: the domain refuses it as not_found
    return {
      message: row.kind === null ? message : { ...message, change: { kind: "edit", target: message } },
      owner: row.owner ?? undefined,
    };
  }

  private seqOf(room: string): number {
    let seq = this.lastSeq.get(room);
    if (seq === undefined) {
      seq = this.statements.roomSeq.get(room)?.last_seq ?? 0;
      this.lastSeq.set(room, seq);
    }
    return seq;
  }

  /** The count-retention deletes to run after this batch: [room, delete up to seq]. */
  private pruneByCount(touched: Map<string, number>): [string, number][] {
    const max = this.options.retention.maxMessagesPerRoom;
    if (max <= 0) return [];
    // Prune in steps of 1% of the limit, so the delete runs once per many appends, not on each.
    const step = Math.max(1, Math.floor(max / 100));
    const prune: [string, number][] = [];
    for (const [room, last] of touched) {
      const cutoff = last - max;
      if (cutoff >= (this.prunedTo.get(room) ?? 0) + step) {
        prune.push([room, cutoff]);
        this.prunedTo.set(room, cutoff);
      }
    }
    return prune;
  }

  private pruneByAge(now: number): void {
    if (this.db.open) this.statements.pruneAge.run(now - this.options.retention.maxAgeMs);
  }
}

const toMessage = rowToChatMessage;

/** The changeKey of change events not yet committed (the rows hold them once they are). */
const unsettledKeys = new WeakMap<ChatMessage, string>();
