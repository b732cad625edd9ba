import type pg from "pg";
import { applyChange, changeEvent, changeKey } from "../chat/conversation.ts";
import type { ChatMessage, NewMessage } from "../chat/message.ts";
import {
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
  stored,
  storedMessage,
} from "./history-store.ts";
import { changeTargets, cidKey } from "./postgres-changes.ts";
import { openPool } from "./postgres-pool.ts";
import { PostgresReads } from "./postgres-reads.ts";
import { migrate } from "./postgres-schema.ts";
import { CountPruning, scheduleAgePruning } from "./retention.ts";

export interface PostgresStoreOptions {
  url: string;
  retention: Retention;
  /** Connections in the pool; appends use one at a time, reads the rest. */
  poolSize?: number;
  log?: (line: string) => void;
}

type Row = ConversationRow;

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
  private readonly reads = new PostgresReads((sql, params) => this.query(sql, params));

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

  latest(room: string, limit: number): Promise<ChatMessage[]> {
    return this.reads.latest(room, limit);
  }

  after(room: string, after: number, limit: number): Promise<ChatMessage[]> {
    return this.reads.after(room, after, limit);
  }

  before(room: string, before: number, limit: number): Promise<ChatMessage[]> {
    return this.reads.before(room, before, limit);
  }

  pageStart(room: string, before: number, limit: number): Promise<number> {
    return this.reads.pageStart(room, before, limit);
  }

  part(room: string, after: number, until: number, limit: number, maxBytes: number): Promise<ChatMessage[]> {
    return this.reads.part(room, after, until, limit, maxBytes);
  }

  bounds(room: string): Promise<RoomBounds> {
    return this.reads.bounds(room);
  }

  countMessages(room: string, after: number, upTo: number, limit: number): Promise<number> {
    return this.reads.countMessages(room, after, upTo, limit);
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
    this.ready ??= migrate(this.pool).catch((error: unknown) => {
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
      const targets = await changeTargets(client, inputs);
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

/** A row this batch inserts: a message, or a change event (`kind`, `target`, `detail`). */
type Fresh = ChatMessage & {
  cid: string | null;
  owner: string | null;
  kind?: string;
  target?: number;
  detail?: string;
};
