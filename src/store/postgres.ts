import type pg from "pg";
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
import { GroupCommit } from "./group-commit.ts";
import {
  type AppendResult,
  type HistoryStore,
  type Retention,
  type RoomBounds,
  refusal,
  repeatOf,
  rowsWithin,
  stored,
  storedMessage,
} from "./history-store.ts";
import { openPool } from "./postgres-pool.ts";
import { CountPruning, scheduleAgePruning } from "./retention.ts";

export interface PostgresStoreOptions {
  url: string;
  retention: Retention;
  /** Connections in the pool; appends use one at a time, reads the rest. */
  poolSize?: number;
  log?: (line: string) => void;
}

type Row = ConversationRow;

interface TargetRow {
  room: string;
  seq: string;
  id: string;
  nick: string;
  text: string;
  ts: string;
  reply_to: string | null;
  edited: string | null;
  deleted: number | null;
  reactions: string | null;
  owner: string | null;
  kind: string | null;
  detail: string | null;
}

// Bumped with each change; every statement is idempotent, so nodes starting together are safe
// (they also take an advisory lock, so only one runs it at a time).
const SCHEMA_VERSION = 3;
const MIGRATE_LOCK = 7_106_105; // any constant: the advisory lock key of Parley's migrations
const SCHEMA = `
CREATE TABLE IF NOT EXISTS parley_schema (version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS parley_rooms (room TEXT PRIMARY KEY, last_seq BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS parley_messages (
  room TEXT NOT NULL, seq BIGINT NOT NULL, id TEXT NOT NULL, nick TEXT NOT NULL,
  text TEXT NOT NULL, ts BIGINT NOT NULL, cid TEXT,
  PRIMARY KEY (room, seq)
);
CREATE UNIQUE INDEX IF NOT EXISTS parley_messages_room_cid ON parley_messages (room, cid) WHERE cid IS NOT NULL;
CREATE INDEX IF NOT EXISTS parley_messages_ts ON parley_messages (ts);
CREATE TABLE IF NOT EXISTS parley_write_probe (id INTEGER PRIMARY KEY, at BIGINT NOT NULL);
${CONVERSATION_COLUMNS.map(([name, type]) => `ALTER TABLE parley_messages ADD COLUMN IF NOT EXISTS ${name} ${type === "INTEGER" ? "BIGINT" : type};`).join("\n")}
`;

const SELECT = conversationSelect("parley_messages");

/**
 * Shared history for several nodes. The order is decided here: each room has a counter row
 * (`parley_rooms.last_seq`) that an append transaction locks (`SELECT … FOR UPDATE`), so appends
 * to one room from any number of nodes are serialised by PostgreSQL and get seq n+1, n+2… with no
 * gap and no reuse; a rolled-back append leaves the counter untouched. Appends of one event-loop
 * turn go in one transaction (group commit), and one transaction runs at a time per node, so
 * a node's own appends keep their order and its acks come in seq order.
 */
export class PostgresStore implements HistoryStore {
  private readonly pool: pg.Pool;
  private readonly appends = new GroupCommit<NewMessage, AppendResult>((batch) => this.writeBatch(batch));
  private ready: Promise<void> | undefined;
  private readonly pruning: CountPruning;
  private readonly stopAgePruning: () => void;

  constructor(options: PostgresStoreOptions) {
    this.pool = openPool(options.url, options.poolSize ?? 4, options.log);
    this.pruning = new CountPruning(options.retention.maxMessagesPerRoom);
    this.stopAgePruning = scheduleAgePruning(options.retention.maxAgeMs, (cutoff) => void this.pruneByAge(cutoff));
  }

  /** Resolves when the schema is in place; rejects with the reason it could not be. */
  start(): Promise<void> {
    return this.schema().catch((error: unknown) => {
      throw new Error(`PostgreSQL is not reachable or its schema could not be made: ${String(error)}`);
    });
  }

  append(input: NewMessage): Promise<AppendResult> {
    return this.appends.add(input);
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

  async countMessages(room: string, after: number, upTo: number): Promise<number> {
    if (upTo <= after) return 0;
    const rows = await this.query<{ count: string }>(
      "SELECT count(*) AS count FROM parley_messages WHERE room = $1 AND seq > $2 AND seq <= $3 AND kind IS NULL",
      [room, after, Math.min(upTo, Number.MAX_SAFE_INTEGER)],
    );
    return Number(rows[0]?.count ?? 0);
  }

  async delete(room: string, seq: number): Promise<boolean> {
    const rows = await this.query("DELETE FROM parley_messages WHERE room = $1 AND seq = $2 RETURNING seq", [
      room,
      seq,
    ]);
    return rows.length > 0;
  }

  async ping(): Promise<void> {
    await this.query("SELECT 1", []);
  }

  async probeWrite(): Promise<void> {
    await this.query(
      "INSERT INTO parley_write_probe (id, at) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET at = excluded.at",
      [Date.now()],
    );
  }

  async close(): Promise<void> {
    this.stopAgePruning();
    // Let what is queued be written (or fail) before the pool goes, for a second at most.
    this.appends.flush();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.appends.idle(), new Promise((resolve) => (timer = setTimeout(resolve, 1000)))]);
    clearTimeout(timer);
    await this.pool.end();
  }

  /** The schema, migrated once; a failed attempt (PostgreSQL down) is tried again by the next caller. */
  private schema(): Promise<void> {
    this.ready ??= this.migrate().catch((error: unknown) => {
      this.ready = undefined;
      throw error;
    });
    return this.ready;
  }

  private async query<R>(sql: string, params: unknown[]): Promise<R[]> {
    await this.schema();
    const result = await this.pool.query(sql, params);
    return result.rows as R[];
  }

  private async migrate(): Promise<void> {
    const client = await this.pool.connect();
    client.on("error", ignore);
    try {
      await client.query("BEGIN");
      await client.query("SELECT pg_advisory_xact_lock($1)", [MIGRATE_LOCK]);
      await client.query(SCHEMA);
      const { rows } = await client.query<{ version: number }>("SELECT max(version) AS version FROM parley_schema");
      if ((rows[0]?.version ?? 0) < SCHEMA_VERSION) {
        await client.query("INSERT INTO parley_schema (version) VALUES ($1)", [SCHEMA_VERSION]);
      }
      await client.query("COMMIT");
    } catch (error) {
      await client.query("ROLLBACK").catch(() => {});
      throw error;
    } finally {
      client.off("error", ignore);
      client.release();
    }
  }

  /** One transaction for a batch; what queues meanwhile goes in the next one. */
  private async writeBatch(inputs: readonly NewMessage[]): Promise<AppendResult[]> {
    await this.schema();
    const rooms = [...new Set(inputs.map((m) => m.room))].sort(); // one lock order on every node: no deadlock
    const client = await this.pool.connect();
    client.on("error", ignore); // a link lost mid-transaction also fails the query in flight: handled there
    let broken = false;
    try {
      await client.query("BEGIN");
      await client.query(
        "INSERT INTO parley_rooms (room, last_seq) SELECT unnest($1::text[]), 0 ON CONFLICT (room) DO NOTHING",
        [rooms],
      );
      const locked = await client.query<{ room: string; last_seq: string }>(
        "SELECT room, last_seq FROM parley_rooms WHERE room = ANY($1::text[]) ORDER BY room FOR UPDATE",
        [rooms],
      );
      const last = new Map(locked.rows.map((r) => [r.room, Number(r.last_seq)]));
      // With the rooms locked no other node can insert into them: this cid check cannot race.
      const withCid = inputs.filter((m) => m.cid !== undefined);
      const earlier = new Map<string, { message: ChatMessage; key: string | undefined }>();
      if (withCid.length > 0) {
        const found = await client.query<Row & { cid: string }>(
          `${SELECT.replace(" FROM ", ", m.cid FROM ")}
             JOIN unnest($1::text[], $2::text[]) AS k(room, cid) ON m.room = k.room AND m.cid = k.cid`,
          [withCid.map((m) => m.room), withCid.map((m) => m.cid)],
        );
        for (const row of found.rows) {
          earlier.set(cidKey(row.room, row.cid), { message: rowToChatMessage(row), key: keyOfRow(row) });
        }
      }
      const targets = await this.targets(client, inputs);
      const results: AppendResult[] = [];
      const fresh: Fresh[] = [];
      for (const input of inputs) {
        const key = input.cid === undefined ? undefined : cidKey(input.room, input.cid);
        const before = key === undefined ? undefined : earlier.get(key);
        if (before) {
          results.push(repeatOf(before.message, input, before.key));
          continue;
        }
        const request = input.change;
        const stateKey = request ? cidKey(input.room, String(request.target)) : "";
        const outcome = request
          ? applyChange(targets.get(stateKey), request, { nick: input.nick, owner: input.owner }, input.ts)
          : undefined;
        if (outcome && "refused" in outcome) {
          results.push(refusal(input, outcome.refused));
          continue;
        }
        const seq = (last.get(input.room) ?? 0) + 1;
        last.set(input.room, seq);
        let message = storedMessage(input, seq);
        let row: Fresh = { ...message, cid: input.cid ?? null, owner: input.owner ?? null };
        const carried = messageDetail(input.file);
        if (carried !== null) row.detail = carried;
        if (request && outcome) {
          message = changeEvent(request, outcome, message);
          const changeK = changeKey(request);
          const detail = JSON.stringify({ key: changeK, emoji: message.change?.emoji, on: message.change?.on });
          row = { ...message, cid: input.cid ?? null, owner: input.owner ?? null, kind: request.kind };
          row.target = request.target;
          row.detail = detail;
          targets.set(stateKey, { message: outcome.state, owner: targets.get(stateKey)?.owner });
          if (key !== undefined) earlier.set(key, { message, key: changeK });
        } else {
          targets.set(cidKey(input.room, String(seq)), { message, owner: input.owner });
          if (key !== undefined) earlier.set(key, { message, key: undefined }); // a repeat within the batch is the same message
        }
        fresh.push(row);
        results.push(stored(message));
      }
      if (fresh.length > 0) {
        await client.query(
          `INSERT INTO parley_messages (room, seq, id, nick, text, ts, cid, kind, target, detail, owner, reply_to)
             SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::text[],
                                  $8::text[], $9::bigint[], $10::text[], $11::text[], $12::bigint[])`,
          [
            fresh.map((m) => m.room),
            fresh.map((m) => m.seq),
            fresh.map((m) => m.id),
            fresh.map((m) => m.nick),
            fresh.map((m) => m.text),
            fresh.map((m) => m.ts),
            fresh.map((m) => m.cid),
            fresh.map((m) => m.kind ?? null),
            fresh.map((m) => m.target ?? null),
            fresh.map((m) => m.detail ?? null),
            fresh.map((m) => m.owner),
            fresh.map((m) => m.replyTo ?? null),
          ],
        );
        const changed = fresh.filter((m) => m.kind !== undefined);
        // The final state of each changed message of the batch, in the same transaction as its events.
        const finals = new Map(changed.map((m) => [cidKey(m.room, String(m.target)), m]));
        for (const [stateKey, m] of finals) {
          const state = targets.get(stateKey)?.message;
          if (!state) continue;
          await client.query(
            "UPDATE parley_messages SET text = $1, edited = $2, deleted = $3, reactions = $4 WHERE room = $5 AND seq = $6 AND kind IS NULL",
            [...stateColumns(state), m.room, m.target],
          );
        }
        const touched = [...new Set(fresh.map((m) => m.room))];
        await client.query(
          `UPDATE parley_rooms r SET last_seq = v.last
             FROM unnest($1::text[], $2::bigint[]) AS v(room, last) WHERE r.room = v.room`,
          [touched, touched.map((room) => last.get(room) ?? 0)],
        );
      }
      await client.query("COMMIT");
      this.pruneByCount(fresh);
      return results;
    } catch (error) {
      broken = true;
      await client.query("ROLLBACK").catch(() => {});
      throw error;
    } finally {
      client.off("error", ignore);
      // A connection that failed mid-transaction is not reused.
      client.release(broken);
    }
  }

  /** The messages the batch's changes name, locked rooms and all: their state and owner, by `room\0seq`. */
  private async targets(client: pg.PoolClient, inputs: readonly NewMessage[]): Promise<Map<string, ChangeTarget>> {
    const targets = new Map<string, ChangeTarget>();
    const wanted = inputs.filter((m) => m.change !== undefined);
    if (wanted.length === 0) return targets;
    const found = await client.query<TargetRow>(
      `SELECT m.room, m.seq, m.id, m.nick, m.text, m.ts, m.reply_to, m.edited, m.deleted, m.reactions, m.owner, m.kind, m.detail
         FROM parley_messages m JOIN unnest($1::text[], $2::bigint[]) AS k(room, seq) ON m.room = k.room AND m.seq = k.seq`,
      [wanted.map((m) => m.room), wanted.map((m) => m.change?.target ?? 0)],
    );
    for (const row of found.rows) {
      const message = rowToChatMessage({
        ...{ room: row.room, seq: row.seq, id: row.id, nick: row.nick, text: row.text, ts: row.ts },
        ...{ kind: null, detail: row.kind === null ? row.detail : null, reply_to: row.reply_to },
        ...{ edited: row.edited, deleted: row.deleted, reactions: row.reactions, t_seq: null, t_id: null },
        ...{ t_nick: null, t_text: null, t_ts: null, t_reply_to: null, t_edited: null, t_deleted: null },
        ...{ t_reactions: null, t_detail: null },
      });
      // a change event is no message to change: the domain refuses it as not_found
      const state = row.kind === null ? message : { ...message, change: { kind: "edit" as const, target: message } };
      targets.set(cidKey(row.room, String(row.seq)), { message: state, owner: row.owner ?? undefined });
    }
    return targets;
  }

  private pruneByCount(fresh: ChatMessage[]): void {
    const top = new Map<string, number>();
    for (const m of fresh) top.set(m.room, m.seq);
    for (const [room, cutoff] of this.pruning.due(top)) {
      this.query("DELETE FROM parley_messages WHERE room = $1 AND seq <= $2", [room, cutoff]).catch(() => {
        this.pruning.failed(room);
      });
    }
  }

  private async pruneByAge(cutoff: number): Promise<void> {
    await this.query("DELETE FROM parley_messages WHERE ts < $1", [cutoff]).catch(() => {});
  }
}

const ignore = (): void => {};

const cidKey = (room: string, cid: string): string => `${room}\u0000${cid}`;

const toMessage = rowToChatMessage;

/** A row this batch inserts: a message, or a change event (`kind`, `target`, `detail`). */
type Fresh = ChatMessage & {
  cid: string | null;
  owner: string | null;
  kind?: string;
  target?: number;
  detail?: string;
};
