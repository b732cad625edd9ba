import type { ChatMessage } from "../chat/message.ts";
import { type ConversationRow, conversationSelect, rowToChatMessage } from "./conversation-rows.ts";
import { type RoomBounds, rowsWithin } from "./history-store.ts";

type Row = ConversationRow;

/** Runs one statement on the store's pool (its schema made first) and resolves with the rows. */
export type PostgresQuery = <R>(sql: string, params: unknown[]) => Promise<R[]>;

const SELECT = conversationSelect("parley_messages");

const toMessage = rowToChatMessage;

/** The PostgreSQL store's reads: pages, parts, bounds and counts, each one statement on the pool. */
export class PostgresReads {
  private readonly query: PostgresQuery;

  constructor(query: PostgresQuery) {
    this.query = query;
  }

  async latest(room: string, limit: number): Promise<ChatMessage[]> {
    if (limit <= 0) return [];
    const rows = await this.query<Row>(`${SELECT} WHERE m.room = $1 ORDER BY m.seq DESC LIMIT $2`, [room, limit]);
    return rows.reverse().map(toMessage);
  }

  async after(room: string, after: number, limit: number): Promise<ChatMessage[]> {
    const rows = await this.query<Row>(`${SELECT} WHERE m.room = $1 AND m.seq > $2 ORDER BY m.seq LIMIT $3`, [
      room,
      after,
      limit,
    ]);
    return rows.map(toMessage);
  }

  async before(room: string, before: number, limit: number): Promise<ChatMessage[]> {
    if (limit <= 0) return [];
    const rows = await this.query<Row>(`${SELECT} WHERE m.room = $1 AND m.seq < $2 ORDER BY m.seq DESC LIMIT $3`, [
      room,
      before,
      limit,
    ]);
    return rows.reverse().map(toMessage);
  }

  async pageStart(room: string, before: number, limit: number): Promise<number> {
    if (limit <= 0) return 0;
    const rows = await this.query<{ seq: string | null }>(
      `SELECT min(seq) AS seq FROM (SELECT seq FROM parley_messages WHERE room = $1 AND seq < $2 ORDER BY seq DESC LIMIT $3) page`,
      [room, Math.min(before, Number.MAX_SAFE_INTEGER), limit],
    );
    return Number(rows[0]?.seq ?? 0);
  }

  /** The sizes first (no text), then the text of the rows that fit: rows past the budget are never read. */
  async part(room: string, after: number, until: number, limit: number, maxBytes: number): Promise<ChatMessage[]> {
    if (limit <= 0) return [];
    const sizes = await this.query<{ seq: string; bytes: number }>(
      `SELECT seq, octet_length(text) AS bytes FROM parley_messages
       WHERE room = $1 AND seq > $2 AND seq < $3 ORDER BY seq LIMIT $4`,
      [room, after, Math.min(until, Number.MAX_SAFE_INTEGER), limit],
    );
    const take = rowsWithin(
      sizes.map((row) => row.bytes),
      maxBytes,
    );
    const last = sizes[take - 1];
    if (!last) return [];
    const rows = await this.query<Row>(`${SELECT} WHERE m.room = $1 AND m.seq > $2 AND m.seq <= $3 ORDER BY m.seq`, [
      room,
      after,
      last.seq,
    ]);
    return rows.map(toMessage);
  }

  async bounds(room: string): Promise<RoomBounds> {
    const rows = await this.query<{ first: string | null; last: string | null }>(
      `SELECT (SELECT seq FROM parley_messages WHERE room = $1 ORDER BY seq LIMIT 1) AS first,
              (SELECT last_seq FROM parley_rooms WHERE room = $1) AS last`,
      [room],
    );
    const row = rows[0];
    return { first: Number(row?.first ?? 0), last: Number(row?.last ?? 0) };
  }

  async countMessages(room: string, after: number, upTo: number, limit: number): Promise<number> {
    if (upTo <= after) return 0;
    const rows = await this.query<{ count: string }>(
      "SELECT count(*) AS count FROM (SELECT 1 FROM parley_messages WHERE room = $1 AND seq > $2 AND seq <= $3 AND kind IS NULL LIMIT $4) AS unread",
      [room, after, Math.min(upTo, Number.MAX_SAFE_INTEGER), limit],
    );
    return Number(rows[0]?.count ?? 0);
  }
}
