import type Database from "better-sqlite3";
import { MARK_CLOSE, MARK_OPEN, marksOf, type SearchTerms } from "../chat/search-query.ts";
import {
  DEFAULT_SEARCH_BUDGET,
  decodeCursor,
  encodeCursor,
  roomInScope,
  type SearchBudget,
  type SearchHit,
  type SearchIndex,
  type SearchPage,
  type SearchRequest,
} from "./search.ts";
import { openSqliteFile } from "./sqlite-file.ts";

/**
 * The FTS5 index over `messages`. New rows are indexed by the store's writer thread, many at a
 * time (`sqlite-writer.js`: FTS5 writes a segment per transaction, too dear for every small
 * commit), within half a second, and before any search runs (`catchUp`): a search started after an
 * ack finds the message. Edits and deletes of indexed rows, admin deletes and retention are kept in
 * step by triggers, in their own transaction; a row not yet indexed is indexed with its text as it
 * is then. `rooms.indexed_seq` says how far each room is indexed (rows a crash left unindexed are
 * indexed at the next start). `messages` has no integer rowid
 * (WITHOUT ROWID, keyed by room and seq), which FTS5 needs: `message_search_keys` gives each
 * message one, in the order they were stored, so "newest first" is the index's own rowid order.
 * The FTS table holds no copy of the text: its content is the view, read back for `highlight()`.
 * `room_tag` ('r' + hex of the room) lets a room filter be part of the MATCH, so it narrows the
 * index lookup rather than the rows after it.
 *
 * Tokenizer: unicode61 with remove_diacritics 2: case and accents are ignored (café = CAFE), words
 * are runs of letters and digits. Scripts written without spaces (Chinese, Japanese) are one token
 * per run between spaces or punctuation: a whole run is found, a word inside it is not (trigram,
 * which finds substrings of 3+ characters, would still miss the many two-character words and
 * triples the index; see README).
 */
const SCHEMA = `
CREATE TABLE IF NOT EXISTS message_search_keys (
  key INTEGER PRIMARY KEY, room TEXT NOT NULL, seq INTEGER NOT NULL, UNIQUE (room, seq)
);
CREATE VIEW IF NOT EXISTS message_search_source AS
  SELECT k.key AS key, m.text AS text, 'r' || hex(k.room) AS room_tag
  FROM message_search_keys k JOIN messages m ON m.room = k.room AND m.seq = k.seq;
CREATE VIRTUAL TABLE IF NOT EXISTS message_search USING fts5(
  text, room_tag, content = 'message_search_source', content_rowid = 'key',
  tokenize = 'unicode61 remove_diacritics 2'
);
DROP TRIGGER IF EXISTS message_search_insert;
CREATE TRIGGER IF NOT EXISTS message_search_delete AFTER DELETE ON messages BEGIN
  INSERT INTO message_search (message_search, rowid, text, room_tag)
    SELECT 'delete', key, OLD.text, 'r' || hex(OLD.room) FROM message_search_keys WHERE room = OLD.room AND seq = OLD.seq;
  DELETE FROM message_search_keys WHERE room = OLD.room AND seq = OLD.seq;
END;
CREATE TRIGGER IF NOT EXISTS message_search_update AFTER UPDATE OF text ON messages BEGIN
  INSERT INTO message_search (message_search, rowid, text, room_tag)
    SELECT 'delete', key, OLD.text, 'r' || hex(OLD.room) FROM message_search_keys WHERE room = OLD.room AND seq = OLD.seq;
  INSERT INTO message_search (rowid, text, room_tag)
    SELECT key, NEW.text, 'r' || hex(NEW.room) FROM message_search_keys WHERE room = NEW.room AND seq = NEW.seq;
END;
`;

/** Existing messages get keys in the order they were written (by time), then the index is built from the view. */
const BACKFILL = `
INSERT INTO message_search_keys (room, seq) SELECT room, seq FROM messages ORDER BY ts, room, seq;
INSERT INTO message_search (message_search) VALUES ('rebuild');
`;

/**
 * `rooms.indexed_seq`, added with every room indexed to its end: true of a file whose index was
 * kept by the former insert trigger, and of one the backfill has just indexed.
 */
const addIndexedSeq = (db: Database.Database): void => {
  const columns = db.pragma("table_info(rooms)") as { name: string }[];
  if (columns.some((c) => c.name === "indexed_seq")) return;
  db.exec(
    "ALTER TABLE rooms ADD COLUMN indexed_seq INTEGER NOT NULL DEFAULT 0; UPDATE rooms SET indexed_seq = last_seq",
  );
};

/**
 * Creates the index on a file that has `messages`, building it for the rows already there (once:
 * the keys table's absence says the file predates search). One transaction, so a crash leaves
 * either no index or a whole one. Returns how many messages were indexed by the migration.
 */
export const migrateSqliteSearch = (db: Database.Database): number => {
  const present = db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'message_search_keys'").get() !== undefined;
  if (present) {
    db.transaction(() => {
      db.exec(SCHEMA); // triggers or view added later are created, the insert trigger dropped; the rest exists
      addIndexedSeq(db);
    }).immediate();
    return 0;
  }
  let indexed = 0;
  db.transaction(() => {
    db.exec(SCHEMA);
    db.exec(BACKFILL);
    addIndexedSeq(db);
    db.exec("UPDATE rooms SET indexed_seq = last_seq");
    indexed = (db.prepare("SELECT count(*) AS n FROM message_search_keys").get() as { n: number }).n;
  }).immediate();
  return indexed;
};

/** The FTS5 query for the terms: each clause a quoted phrase (no FTS5 syntax reaches it from a client). */
export const fts5Query = (terms: SearchTerms, room: string | undefined): string => {
  const phrase = (words: readonly string[]) => `"${words.join(" ")}"`;
  const wanted = terms.clauses.filter((c) => !c.negated).map((c) => phrase(c.words));
  const unwanted = terms.clauses.filter((c) => c.negated).map((c) => ` NOT ${phrase(c.words)}`);
  const text = `text : ((${wanted.join(" AND ")})${unwanted.join("")})`;
  return room === undefined ? text : `${text} AND room_tag : "${roomTag(room)}"`;
};

const roomTag = (room: string): string => `r${Buffer.from(room).toString("hex").toUpperCase()}`;

interface Candidate {
  key: number;
  score: number;
}

interface MessageRow {
  room: string;
  seq: number;
  id: string;
  nick: string;
  text: string;
  ts: number;
}

/** Every this many rows a scan looks at the clock. */
const CLOCK_EVERY = 64;

/**
 * Search on the history's SQLite file, on a read connection of its own (WAL: it reads while the
 * writer thread writes). A search streams the matches newest first and stops at its budget; a
 * ranked search sorts what it looked at by bm25.
 */
export class SqliteSearch implements SearchIndex {
  private readonly db: Database.Database;

  private readonly budget: SearchBudget;
  private readonly catchUp: () => Promise<void>;

  /**
   * `catchUp`: resolves once the rows committed so far are indexed (the store's
   * `searchCaughtUp`); without it, rows the writer has not indexed yet are not found.
   */
  constructor(
    file: string,
    budget: SearchBudget = DEFAULT_SEARCH_BUDGET,
    report?: (line: string) => void,
    catchUp: () => Promise<void> = () => Promise.resolve(),
  ) {
    this.budget = budget;
    this.catchUp = catchUp;
    this.db = openSqliteFile(file, "normal");
    try {
      this.db.pragma("busy_timeout = 5000");
      const started = Date.now();
      const indexed = migrateSqliteSearch(this.db);
      if (indexed > 0) report?.(`search index built for ${indexed} stored messages in ${Date.now() - started} ms`);
    } catch (error) {
      this.db.close();
      throw error;
    }
  }

  async search(request: SearchRequest): Promise<SearchPage> {
    if (request.room !== undefined && !roomInScope(request.scope, request.room)) {
      return { hits: [], next: null, truncated: false };
    }
    const match = fts5Query(request.terms, request.room);
    await this.catchUp();
    return request.order === "newest" ? this.newest(request, match) : this.ranked(request, match);
  }

  /** Newest first: the scan itself is the page; the cursor is the last key given. */
  private newest(request: SearchRequest, match: string): SearchPage {
    const below = request.cursor === undefined ? undefined : decodeCursor(request.cursor, ["k"]).k;
    const { candidates, stopped } = this.scan(request, match, request.limit + 1, below);
    const page = candidates.slice(0, request.limit);
    const last = page.at(-1);
    const more = candidates.length > request.limit || stopped;
    return {
      hits: this.hits(match, page),
      next: more && last ? encodeCursor({ k: last.key }) : null,
      truncated: stopped,
    };
  }

  /** Best first: the newest matches up to the budget, sorted by bm25 (lower is better), then paged by offset. */
  private ranked(request: SearchRequest, match: string): SearchPage {
    const offset = request.cursor === undefined ? 0 : decodeCursor(request.cursor, ["o"]).o;
    const { candidates, stopped } = this.scan(request, match, this.budget.maxRows, undefined);
    candidates.sort((a, b) => a.score - b.score || b.key - a.key);
    const page = candidates.slice(offset, offset + request.limit);
    const end = offset + request.limit;
    return {
      hits: this.hits(match, page),
      next: end < candidates.length ? encodeCursor({ o: end }) : null,
      truncated: stopped,
    };
  }

  /** Matching keys newest first, in scope and filters, until `want` or the budget. */
  private scan(
    request: SearchRequest,
    match: string,
    want: number,
    below: number | undefined,
  ): { candidates: Candidate[]; stopped: boolean } {
    const where = ["message_search MATCH ?"];
    const params: unknown[] = [match];
    if (below !== undefined) {
      where.push("f.rowid < CAST(? AS INTEGER)");
      params.push(below);
    }
    const { scope } = request;
    if ("only" in scope) {
      where.push("k.room IN (SELECT value FROM json_each(?))");
      params.push(JSON.stringify(scope.only));
    } else if (scope.except.length > 0) {
      where.push("k.room NOT IN (SELECT value FROM json_each(?))");
      params.push(JSON.stringify(scope.except));
    }
    if (request.room !== undefined) {
      where.push("k.room = ?");
      params.push(request.room);
    }
    if (request.nick !== undefined) {
      where.push("m.nick = ? COLLATE NOCASE");
      params.push(request.nick);
    }
    if (request.since !== undefined) {
      where.push("m.ts >= ?");
      params.push(request.since);
    }
    if (request.until !== undefined) {
      where.push("m.ts < ?");
      params.push(request.until);
    }
    const joinMessages = request.nick !== undefined || request.since !== undefined || request.until !== undefined;
    const sql = `SELECT f.rowid AS key, f.rank AS score FROM message_search f
      JOIN message_search_keys k ON k.key = f.rowid
      ${joinMessages ? "JOIN messages m ON m.room = k.room AND m.seq = k.seq" : ""}
      WHERE ${where.join(" AND ")} ORDER BY f.rowid DESC`;
    const candidates: Candidate[] = [];
    const deadline = Date.now() + this.budget.maxMs;
    const limit = Math.min(want, this.budget.maxRows);
    let stopped = false;
    for (const row of this.db.prepare<unknown[], Candidate>(sql).iterate(...params)) {
      if (candidates.length >= limit) {
        stopped = want >= this.budget.maxRows; // the budget, not the page, was the limit
        break;
      }
      candidates.push(row);
      if (candidates.length % CLOCK_EVERY === 0 && Date.now() > deadline) {
        stopped = true;
        break;
      }
    }
    return { candidates, stopped };
  }

  /**
   * The page's messages with their words marked: highlight() runs on these rows only. (The key
   * is CAST: FTS5 ignores a rowid constraint bound as a real, which is how a JS number arrives.)
   */
  private hits(match: string, page: readonly Candidate[]): SearchHit[] {
    if (page.length === 0) return [];
    const marking = this.db.prepare<[string, string, string, number], { marked: string }>(
      "SELECT highlight(message_search, 0, ?, ?) AS marked FROM message_search WHERE message_search MATCH ? AND rowid = CAST(? AS INTEGER)",
    );
    const reading = this.db.prepare<[number], MessageRow>(
      `SELECT m.room, m.seq, m.id, m.nick, m.text, m.ts FROM message_search_keys k
       JOIN messages m ON m.room = k.room AND m.seq = k.seq WHERE k.key = ?`,
    );
    const hits: SearchHit[] = [];
    for (const { key } of page) {
      const message = reading.get(key);
      if (!message) continue; // deleted between the scan and now
      const marked = marking.get(MARK_OPEN, MARK_CLOSE, match, key)?.marked ?? "";
      hits.push({ message: { ...message }, marks: marksOf(marked, message.text) });
    }
    return hits;
  }

  close(): Promise<void> {
    if (this.db.open) this.db.close();
    return Promise.resolve();
  }
}
