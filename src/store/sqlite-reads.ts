import type Database from "better-sqlite3";
import type { ChatMessage } from "../chat/message.ts";
import { type ConversationRow, conversationSelect, rowToChatMessage } from "./conversation-rows.ts";
import { partBytes, type RoomBounds } from "./history-store.ts";

type MessageRow = ConversationRow & { seq: number };

const SELECT = conversationSelect("messages");

/**
 * The SQLite store's reads, on the main thread's connection (WAL: they never wait for the writer).
 * `floor(room)`: the lowest seq handed out and not yet settled. Reads stop below it: a row the
 * writer has committed is not history until its append has settled (and so has been broadcast),
 * or a joiner could get it from history and then again live.
 */
export class SqliteReads {
  private readonly statements;

  private readonly floor: (room: string) => number | undefined;

  constructor(db: Database.Database, floor: (room: string) => number | undefined) {
    this.floor = floor;
    this.statements = {
      roomSeq: db.prepare<[string], { last_seq: number }>("SELECT last_seq FROM rooms WHERE room = ?"),
      latest: db.prepare<[string, number], MessageRow>(`${SELECT} WHERE m.room = ? ORDER BY m.seq DESC LIMIT ?`),
      after: db.prepare<[string, number, number], MessageRow>(
        `${SELECT} WHERE m.room = ? AND m.seq > ? ORDER BY m.seq LIMIT ?`,
      ),
      before: db.prepare<[string, number, number], MessageRow>(
        `${SELECT} WHERE m.room = ? AND m.seq < ? ORDER BY m.seq DESC LIMIT ?`,
      ),
      first: db.prepare<[string], { seq: number }>("SELECT seq FROM messages WHERE room = ? ORDER BY seq LIMIT 1"),
      pageStart: db.prepare<[string, number, number], { seq: number | null }>(
        "SELECT min(seq) AS seq FROM (SELECT seq FROM messages WHERE room = ? AND seq < ? ORDER BY seq DESC LIMIT ?)",
      ),
      count: db.prepare<[string, number, number, number], { count: number }>(
        "SELECT count(*) AS count FROM (SELECT 1 FROM messages WHERE room = ? AND seq > ? AND seq <= ? AND kind IS NULL LIMIT ?)",
      ),
      part: db.prepare<[string, number, number, number], MessageRow>(
        `${SELECT} WHERE m.room = ? AND m.seq > ? AND m.seq < ? ORDER BY m.seq LIMIT ?`,
      ),
    };
  }

  latest(room: string, limit: number): ChatMessage[] {
    const floor = this.floor(room);
    const rows =
      floor === undefined ? this.statements.latest.all(room, limit) : this.statements.before.all(room, floor, limit);
    return rows.reverse().map(rowToChatMessage);
  }

  after(room: string, after: number, limit: number): ChatMessage[] {
    const floor = this.floor(room) ?? Number.POSITIVE_INFINITY;
    return this.statements.after
      .all(room, after, limit)
      .filter((row) => row.seq < floor)
      .map(rowToChatMessage);
  }

  before(room: string, before: number, limit: number): ChatMessage[] {
    const bound = Math.min(before, this.floor(room) ?? before);
    return this.statements.before.all(room, bound, limit).reverse().map(rowToChatMessage);
  }

  pageStart(room: string, before: number, limit: number): number {
    if (limit <= 0) return 0;
    const bound = Math.min(before, this.floor(room) ?? before, Number.MAX_SAFE_INTEGER);
    return this.statements.pageStart.get(room, bound, limit)?.seq ?? 0;
  }

  /** Stepped row by row: the rows past the budget are never read (the one that passes it is). */
  part(room: string, after: number, until: number, limit: number, maxBytes: number): ChatMessage[] {
    const bound = Math.min(until, this.floor(room) ?? until, Number.MAX_SAFE_INTEGER);
    const messages: ChatMessage[] = [];
    let bytes = 0;
    for (const row of this.statements.part.iterate(room, after, bound, limit)) {
      bytes += partBytes(Buffer.byteLength(row.text));
      if (bytes > maxBytes && messages.length > 0) break; // leaving the loop resets the statement
      messages.push(rowToChatMessage(row));
    }
    return messages;
  }

  /** Settled rows only, as every read. */
  countMessages(room: string, after: number, upTo: number, limit: number): number {
    const bound = Math.min(upTo, (this.floor(room) ?? Number.POSITIVE_INFINITY) - 1, Number.MAX_SAFE_INTEGER);
    return bound <= after ? 0 : (this.statements.count.get(room, after, bound, limit)?.count ?? 0);
  }

  /** Settled rows only: a seq handed out to a batch still being written is not yet `last`. */
  bounds(room: string): RoomBounds {
    const floor = this.floor(room) ?? Number.POSITIVE_INFINITY;
    const first = this.statements.first.get(room)?.seq ?? 0;
    return {
      first: first < floor ? first : 0,
      last: Math.min(this.statements.roomSeq.get(room)?.last_seq ?? 0, floor - 1),
    };
  }
}
