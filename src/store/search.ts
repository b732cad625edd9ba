import type { ChatMessage } from "../chat/message.ts";
import type { Mark, SearchTerms } from "../chat/search-query.ts";

/** Rooms a search may look in: the asker's rights, decided by the caller, applied inside the store's query. */
export type SearchScope =
  /** Every room but these (a connection or token: the private rooms it is not granted). */
  | { except: readonly string[] }
  /** Only these (an API key: the rooms its patterns match). */
  | { only: readonly string[] };

export interface SearchRequest {
  terms: SearchTerms;
  scope: SearchScope;
  /** Only this room. */
  room?: string | undefined;
  /** Only messages by this nick (case-insensitive). */
  nick?: string | undefined;
  /** Only messages with `since` <= ts < `until` (milliseconds since the epoch). */
  since?: number | undefined;
  until?: number | undefined;
  /** `rank`: best match first (bm25 / ts_rank); `newest`: the most recent first. */
  order: "rank" | "newest";
  limit: number;
  /** The `next` of the previous page; opaque, made by the same store. */
  cursor?: string | undefined;
}

export interface SearchHit {
  message: ChatMessage;
  /** The matching words in `message.text`. */
  marks: Mark[];
}

export interface SearchPage {
  hits: SearchHit[];
  /** Pass as `cursor` for the next page; null when there is none. */
  next: string | null;
  /**
   * true when the search stopped at its budget (rows or time) before it had looked at every
   * match: ranked results are then the best of the newest matches it looked at.
   */
  truncated: boolean;
}

/** What one search may cost the store: it stops at whichever comes first. */
export interface SearchBudget {
  /** Matching rows looked at. */
  maxRows: number;
  /** Milliseconds. */
  maxMs: number;
}

export const DEFAULT_SEARCH_BUDGET: SearchBudget = { maxRows: 20_000, maxMs: 500 };

/**
 * Full-text search over the history, on the store's own engine (SQLite FTS5, PostgreSQL
 * full-text search), next to `HistoryStore`: it sees the same rows, so a deleted message is gone
 * and an edited one is found by its current text. Only the scope's rooms are ever read.
 */
export interface SearchIndex {
  search(request: SearchRequest): Promise<SearchPage>;
  /** Makes what the index needs before the node serves (PostgreSQL: its column and index); absent when nothing is. */
  start?(): Promise<void>;
  close(): Promise<void>;
}

/** A cursor a client cannot make sense of, or one from another kind of search: `bad_request` upstream. */
export class BadCursor extends Error {}

/** Cursors: base64url of a small JSON object, checked on the way back. */
export const encodeCursor = (value: Record<string, number | string>): string =>
  Buffer.from(JSON.stringify(value)).toString("base64url");

export const decodeCursor = <K extends string>(cursor: string, keys: readonly K[]): Record<K, number> => {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, "base64url").toString());
  } catch {
    throw new BadCursor("The cursor is not one this server gave.");
  }
  if (typeof value !== "object" || value === null) throw new BadCursor("The cursor is not one this server gave.");
  const fields = value as Record<string, unknown>;
  const out = {} as Record<K, number>;
  for (const key of keys) {
    const field = fields[key];
    if (typeof field !== "number" || !Number.isSafeInteger(field) || field < 0) {
      throw new BadCursor("The cursor is not one this server gave (or is for another order).");
    }
    out[key] = field;
  }
  return out;
};

/** Room filter and scope together: false when the room asked for is outside the scope (then nothing matches). */
export const roomInScope = (scope: SearchScope, room: string): boolean =>
  "only" in scope ? scope.only.includes(room) : !scope.except.includes(room);

/** The search ran past its time budget and was stopped before it had any answer (PostgreSQL). */
export class SearchTooCostly extends Error {
  constructor() {
    super("The search took too long; narrow it (a room, a sender, dates or more words).");
  }
}
