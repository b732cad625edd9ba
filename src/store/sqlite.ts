import { randomUUID } from "node:crypto";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import type { ChatMessage, NewMessage } from "../chat/message.ts";
import type { AppendResult, HistoryStore, Retention, RoomBounds } from "./history-store.ts";

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

interface Row {
  room: string;
  seq: number;
  id: string;
  nick: string;
  text: string;
  ts: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS rooms (room TEXT PRIMARY KEY, last_seq INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS messages (
  room TEXT NOT NULL, seq INTEGER NOT NULL, id TEXT NOT NULL, nick TEXT NOT NULL,
  text TEXT NOT NULL, ts INTEGER NOT NULL, cid TEXT,
  PRIMARY KEY (room, seq)
) WITHOUT ROWID;
CREATE UNIQUE INDEX IF NOT EXISTS messages_room_cid ON messages (room, cid) WHERE cid IS NOT NULL;
CREATE INDEX IF NOT EXISTS messages_ts ON messages (ts);
`;

/**
 * The default store: one SQLite file in WAL mode. Appends made during one event-loop turn
 * are committed together in one transaction (group commit), so durability costs one
 * fsync per turn, not one per message. One process owns the file.
 */
export class SqliteStore implements HistoryStore {
  private readonly db: Database.Database;
  private readonly lastSeq = new Map<string, number>();
  private readonly prunedTo = new Map<string, number>();
  private pending: Pending[] = [];
  private flushScheduled = false;
  private readonly statements;
  private readonly ageTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: SqliteStoreOptions) {
    if (options.file !== ":memory:") mkdirSync(dirname(options.file), { recursive: true });
    this.db = new Database(options.file);
    this.db.pragma("journal_mode = WAL");
    this.db.pragma(`synchronous = ${options.synchronous.toUpperCase()}`);
    this.db.exec(SCHEMA);
    const db = this.db;
    this.statements = {
      roomSeq: db.prepare<[string], { last_seq: number }>("SELECT last_seq FROM rooms WHERE room = ?"),
      setRoomSeq: db.prepare<[string, number]>(
        "INSERT INTO rooms (room, last_seq) VALUES (?, ?) ON CONFLICT (room) DO UPDATE SET last_seq = excluded.last_seq",
      ),
      byCid: db.prepare<[string, string], Row>(
        "SELECT room, seq, id, nick, text, ts FROM messages WHERE room = ? AND cid = ?",
      ),
      insert: db.prepare<[string, number, string, string, string, number, string | null]>(
        "INSERT INTO messages (room, seq, id, nick, text, ts, cid) VALUES (?, ?, ?, ?, ?, ?, ?)",
      ),
      latest: db.prepare<[string, number], Row>(
        "SELECT room, seq, id, nick, text, ts FROM messages WHERE room = ? ORDER BY seq DESC LIMIT ?",
      ),
      after: db.prepare<[string, number, number], Row>(
        "SELECT room, seq, id, nick, text, ts FROM messages WHERE room = ? AND seq > ? ORDER BY seq LIMIT ?",
      ),
      before: db.prepare<[string, number, number], Row>(
        "SELECT room, seq, id, nick, text, ts FROM messages WHERE room = ? AND seq < ? ORDER BY seq DESC LIMIT ?",
      ),
      first: db.prepare<[string], { seq: number }>("SELECT seq FROM messages WHERE room = ? ORDER BY seq LIMIT 1"),
      delete: db.prepare<[string, number]>("DELETE FROM messages WHERE room = ? AND seq = ?"),
      pruneCount: db.prepare<[string, number]>("DELETE FROM messages WHERE room = ? AND seq <= ?"),
      pruneAge: db.prepare<[number]>("DELETE FROM messages WHERE ts < ?"),
    };
    if (options.retention.maxAgeMs > 0) {
      this.ageTimer = setInterval(() => this.pruneByAge(Date.now()), Math.min(60_000, options.retention.maxAgeMs));
      this.ageTimer.unref();
      this.pruneByAge(Date.now());
    }
  }

  append(input: NewMessage): Promise<AppendResult> {
    return new Promise((resolve, reject) => {
      this.pending.push({ input, resolve, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Commits every append of the turn in one transaction, then settles their promises. */
  flush(): void {
    this.flushScheduled = false;
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    const touched = new Map<string, number>();
    let results: AppendResult[];
    try {
      results = this.db.transaction(() => batch.map((p) => this.write(p.input, touched)))();
    } catch (error) {
      for (const room of touched.keys()) this.lastSeq.delete(room); // reread after the rollback
      for (const p of batch) p.reject(error);
      return;
    }
    this.pruneByCount(touched);
    for (const [i, p] of batch.entries()) p.resolve(results[i] as AppendResult);
  }

  latest(room: string, limit: number): Promise<ChatMessage[]> {
    return Promise.resolve(this.statements.latest.all(room, limit).reverse().map(toMessage));
  }

  after(room: string, after: number, limit: number): Promise<ChatMessage[]> {
    return Promise.resolve(this.statements.after.all(room, after, limit).map(toMessage));
  }

  before(room: string, before: number, limit: number): Promise<ChatMessage[]> {
    return Promise.resolve(this.statements.before.all(room, before, limit).reverse().map(toMessage));
  }

  bounds(room: string): Promise<RoomBounds> {
    return Promise.resolve({ first: this.statements.first.get(room)?.seq ?? 0, last: this.seqOf(room) });
  }

  delete(room: string, seq: number): Promise<boolean> {
    return Promise.resolve(this.statements.delete.run(room, seq).changes > 0);
  }

  ping(): Promise<void> {
    this.db.prepare("SELECT 1").get();
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.flush();
    if (this.ageTimer) clearInterval(this.ageTimer);
    if (this.db.open) this.db.close();
    return Promise.resolve();
  }

  private write(input: NewMessage, touched: Map<string, number>): AppendResult {
    if (input.cid !== undefined) {
      const earlier = this.statements.byCid.get(input.room, input.cid);
      if (earlier) return { message: toMessage(earlier), duplicate: true };
    }
    const seq = this.seqOf(input.room) + 1;
    const message: ChatMessage = {
      room: input.room,
      seq,
      id: randomUUID(),
      nick: input.nick,
      text: input.text,
      ts: input.ts,
    };
    this.statements.insert.run(input.room, seq, message.id, input.nick, input.text, input.ts, input.cid ?? null);
    this.statements.setRoomSeq.run(input.room, seq);
    this.lastSeq.set(input.room, seq);
    touched.set(input.room, seq);
    return { message, duplicate: false };
  }

  private seqOf(room: string): number {
    let seq = this.lastSeq.get(room);
    if (seq === undefined) {
      seq = this.statements.roomSeq.get(room)?.last_seq ?? 0;
      this.lastSeq.set(room, seq);
    }
    return seq;
  }

  private pruneByCount(touched: Map<string, number>): void {
    const max = this.options.retention.maxMessagesPerRoom;
    if (max <= 0) return;
    // Prune in steps of 1% of the limit, so the delete runs once per many appends, not on each.
    const step = Math.max(1, Math.floor(max / 100));
    for (const [room, last] of touched) {
      const cutoff = last - max;
      if (cutoff >= (this.prunedTo.get(room) ?? 0) + step) {
        this.statements.pruneCount.run(room, cutoff);
        this.prunedTo.set(room, cutoff);
      }
    }
  }

  private pruneByAge(now: number): void {
    if (this.db.open) this.statements.pruneAge.run(now - this.options.retention.maxAgeMs);
  }
}

const toMessage = (row: Row): ChatMessage => ({
  room: row.room,
  seq: row.seq,
  id: row.id,
  nick: row.nick,
  text: row.text,
  ts: row.ts,
});
