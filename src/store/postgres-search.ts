import type pg from "pg";
import { MARK_CLOSE, MARK_OPEN, marksOf, type SearchTerms } from "../chat/search-query.ts";
import { MigrateOnce, openPool } from "./postgres-pool.ts";
import {
  DEFAULT_SEARCH_BUDGET,
  decodeCursor,
  encodeCursor,
  roomInScope,
  type SearchBudget,
  type SearchIndex,
  type SearchPage,
  type SearchRequest,
  SearchTooCostly,
} from "./search.ts";

const MIGRATE_LOCK = 7_106_120; // the advisory lock key of the search index's migration
/**
 * The column and index are built over every stored row, once: minutes for millions of rows, far
 * past the pool's 10 s statement timeout, which would fail the start of a node with a big history.
 */
const BUILD_TIMEOUT_MS = 6 * 60 * 60 * 1000;
// pg reads `query_timeout` per query; its types do not list it.
const building = (text: string): pg.QueryConfig => ({ text, query_timeout: BUILD_TIMEOUT_MS }) as pg.QueryConfig;

/**
 * `parley_search`: the `simple` configuration (no stemming, no stop words: chat is in every
 * language) with `unaccent` before it when the extension can be had, so case and accents are
 * ignored as in SQLite. The tsvector is a stored generated column, so ranking and rechecks read it
 * instead of parsing each text again, and any UPDATE of the text (an edit) recomputes it; adding
 * it to an existing table rewrites the table once (the migration: appends wait for it, on every
 * node), then the GIN index is built.
 */
const migrate = async (client: pg.PoolClient): Promise<void> => {
  await client.query(`DO $$ BEGIN CREATE EXTENSION IF NOT EXISTS unaccent; EXCEPTION WHEN OTHERS THEN NULL; END $$`);
  const config = await client.query("SELECT 1 FROM pg_ts_config WHERE cfgname = 'parley_search'");
  if (config.rowCount === 0) {
    await client.query("CREATE TEXT SEARCH CONFIGURATION parley_search (COPY = simple)");
    const unaccent = await client.query("SELECT 1 FROM pg_extension WHERE extname = 'unaccent'");
    if ((unaccent.rowCount ?? 0) > 0) {
      await client.query(
        "ALTER TEXT SEARCH CONFIGURATION parley_search ALTER MAPPING FOR hword, hword_part, word WITH unaccent, simple",
      );
    }
  }
  await client.query(
    building(`ALTER TABLE parley_messages ADD COLUMN IF NOT EXISTS search tsvector
                GENERATED ALWAYS AS (to_tsvector('parley_search', text)) STORED`),
  );
  await client.query(
    building("CREATE INDEX IF NOT EXISTS parley_messages_search ON parley_messages USING GIN (search)"),
  );
};

/** The terms as `websearch_to_tsquery` reads them: each clause quoted, so no word is taken as `or`. */
export const websearchQuery = (terms: SearchTerms): string =>
  terms.clauses.map((c) => `${c.negated ? "-" : ""}"${c.words.join(" ")}"`).join(" ");

interface HitRow {
  room: string;
  seq: string;
  id: string;
  nick: string;
  text: string;
  ts: string;
  marked: string;
  seen: string;
}

const HEADLINE = `HighlightAll=true, StartSel=${MARK_OPEN}, StopSel=${MARK_CLOSE}`;

/**
 * Search on PostgreSQL: the GIN index finds the matches, newest first up to the row
 * budget; a ranked search orders those by ts_rank. `statement_timeout` bounds the time: past it
 * the search fails (`SearchTooCostly`) rather than holding a connection.
 */
export class PostgresSearch implements SearchIndex {
  private readonly pool: pg.Pool;
  private readonly schema: MigrateOnce;

  private readonly budget: SearchBudget;

  constructor(url: string, budget: SearchBudget = DEFAULT_SEARCH_BUDGET, log?: (line: string) => void) {
    this.budget = budget;
    this.pool = openPool(url, 2, log);
    this.schema = new MigrateOnce(this.pool, MIGRATE_LOCK, migrate);
  }

  /** Creates the index (over the rows already stored, once); the history's tables must exist. */
  start(): Promise<void> {
    return this.schema.start();
  }

  async search(request: SearchRequest): Promise<SearchPage> {
    if (request.room !== undefined && !roomInScope(request.scope, request.room)) {
      return { hits: [], next: null, truncated: false };
    }
    await this.start();
    const offset = request.cursor === undefined ? 0 : decodeCursor(request.cursor, ["o"]).o;
    const params: unknown[] = [websearchQuery(request.terms)];
    const where = ["m.search @@ q.q"];
    const add = (condition: string, value: unknown) => {
      params.push(value);
      where.push(condition.replace("?", `$${params.length}`));
    };
    const { scope } = request;
    if ("only" in scope) add("m.room = ANY(?::text[])", scope.only);
    else if (scope.except.length > 0) add("m.room <> ALL(?::text[])", scope.except);
    if (request.room !== undefined) add("m.room = ?", request.room);
    if (request.nick !== undefined) add("lower(m.nick) = lower(?)", request.nick);
    if (request.since !== undefined) add("m.ts >= ?", request.since);
    if (request.until !== undefined) add("m.ts < ?", request.until);
    params.push(this.budget.maxRows + 1, request.limit + 1, offset);
    const [scan, limit, skip] = [params.length - 2, params.length - 1, params.length];
    const order = (t: string) =>
      request.order === "newest"
        ? `${t}.ts DESC, ${t}.room, ${t}.seq DESC`
        : `${t}.score DESC, ${t}.ts DESC, ${t}.seq DESC`;
    // ts_headline only for the page: in the select list of the sorted query it would run on every match looked at.
    const sql = `WITH q AS (SELECT websearch_to_tsquery('parley_search', $1) AS q),
      c AS (SELECT m.room, m.seq, m.id, m.nick, m.text, m.ts,
                   ts_rank(m.search, q.q) AS score
            FROM parley_messages m, q WHERE ${where.join(" AND ")}
            ORDER BY m.ts DESC, m.room, m.seq DESC LIMIT $${scan}),
      p AS (SELECT c.*, (SELECT count(*) FROM c) AS seen FROM c ORDER BY ${order("c")} LIMIT $${limit} OFFSET $${skip})
      SELECT p.room, p.seq, p.id, p.nick, p.text, p.ts, p.seen,
             ts_headline('parley_search', p.text, q.q, '${HEADLINE}') AS marked
      FROM p, q ORDER BY ${order("p")}`;
    const rows = await this.timed<HitRow>(sql, params);
    const page = rows.slice(0, request.limit);
    const truncated = Number(rows[0]?.seen ?? 0) > this.budget.maxRows;
    return {
      hits: page.map((row) => {
        const message = {
          room: row.room,
          seq: Number(row.seq),
          id: row.id,
          nick: row.nick,
          text: row.text,
          ts: Number(row.ts),
        };
        return { message, marks: marksOf(row.marked, row.text) };
      }),
      next: rows.length > request.limit ? encodeCursor({ o: offset + request.limit }) : null,
      truncated,
    };
  }

  /** One statement under `statement_timeout`: the budget's time, enforced by the server. */
  private async timed<R extends pg.QueryResultRow>(sql: string, params: unknown[]): Promise<R[]> {
    const client = await this.pool.connect();
    let broken = false;
    try {
      await client.query("BEGIN READ ONLY");
      await client.query(`SET LOCAL statement_timeout = ${Math.max(1, Math.floor(this.budget.maxMs))}`);
      const result = await client.query<R>(sql, params);
      await client.query("COMMIT");
      return result.rows;
    } catch (error) {
      await client.query("ROLLBACK").catch(() => {
        broken = true;
      });
      if ((error as { code?: unknown }).code === "57014") throw new SearchTooCostly();
      throw error;
    } finally {
      client.release(broken);
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
