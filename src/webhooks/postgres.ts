import type pg from "pg";
import { MigrateOnce, openPool } from "../store/postgres-pool.ts";
import type { DeliveryState, PendingRoom, WebhookEndpoint, WebhookStore } from "./endpoints.ts";
import { ENDPOINT_COLUMNS, type EndpointRow, endpointFromRow, STATE_COLUMNS, stateValues } from "./rows.ts";

// Idempotent: every node runs it at start, under the history's advisory lock key + 3.
const MIGRATE_LOCK = 7_106_108;
const SCHEMA = `
CREATE TABLE IF NOT EXISTS parley_webhook_endpoints (
  id TEXT PRIMARY KEY, url TEXT NOT NULL, secret TEXT NOT NULL, events JSONB NOT NULL, rooms JSONB NOT NULL,
  created_at BIGINT NOT NULL, failing_since BIGINT, failures INTEGER NOT NULL DEFAULT 0,
  next_attempt_at BIGINT NOT NULL, last_attempt_at BIGINT, last_success_at BIGINT, last_status INTEGER,
  last_error TEXT, disabled_at BIGINT, disabled_reason TEXT, lease_owner TEXT, lease_until BIGINT
);
CREATE TABLE IF NOT EXISTS parley_webhook_cursors (
  endpoint TEXT NOT NULL, room TEXT NOT NULL, seq BIGINT NOT NULL, PRIMARY KEY (endpoint, room)
);
`;

/** PostgreSQL's own clock in ms: every node judges a lease by the same clock. */
const DB_NOW = "(extract(epoch from clock_timestamp()) * 1000)::bigint";

/**
 * Endpoints and cursors in the shared PostgreSQL database. One node at a time delivers for an
 * endpoint: it holds a lease (`lease_owner`, `lease_until` on the endpoint's row, taken by one
 * conditional UPDATE, judged by the database's clock) and renews it each round; a node that dies
 * loses it when it runs out, and another takes over from the stored cursors. A delivery the dead
 * node made but had not recorded is made again: at least once, with the same `webhook-id`.
 */
export class PostgresWebhookStore implements WebhookStore {
  private readonly pool: pg.Pool;
  private readonly schema: MigrateOnce;

  constructor(options: { url: string; log?: (line: string) => void }) {
    this.pool = openPool(options.url, 2, options.log);
    this.schema = new MigrateOnce(this.pool, MIGRATE_LOCK, (client) => client.query(SCHEMA));
  }

  start(): Promise<void> {
    return this.schema.start();
  }

  async create(endpoint: WebhookEndpoint, secret: string): Promise<void> {
    await this.start();
    const client = await this.pool.connect();
    try {
      await client.query("BEGIN");
      await client.query(
        `INSERT INTO parley_webhook_endpoints (id, url, secret, events, rooms, created_at, next_attempt_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [
          endpoint.id,
          endpoint.url,
          secret,
          JSON.stringify(endpoint.events),
          JSON.stringify(endpoint.rooms),
          endpoint.createdAt,
          endpoint.nextAttemptAt,
        ],
      );
      await client.query(
        "INSERT INTO parley_webhook_cursors (endpoint, room, seq) SELECT $1, room, last_seq FROM parley_rooms",
        [endpoint.id],
      );
      await client.query("COMMIT");
    } catch (error) {
      await client.query("ROLLBACK").catch(() => {});
      throw error;
    } finally {
      client.release();
    }
  }

  async list(): Promise<WebhookEndpoint[]> {
    const rows = await this.query<EndpointRow>(
      `SELECT ${ENDPOINT_COLUMNS} FROM parley_webhook_endpoints ORDER BY created_at, id`,
    );
    return rows.map(endpointFromRow);
  }

  async secretOf(id: string): Promise<string | undefined> {
    const rows = await this.query<{ secret: string }>("SELECT secret FROM parley_webhook_endpoints WHERE id = $1", [
      id,
    ]);
    return rows[0]?.secret;
  }

  async remove(id: string): Promise<boolean> {
    await this.query("DELETE FROM parley_webhook_cursors WHERE endpoint = $1", [id]);
    const rows = await this.query<{ id: string }>("DELETE FROM parley_webhook_endpoints WHERE id = $1 RETURNING id", [
      id,
    ]);
    return rows.length > 0;
  }

  setState(id: string, state: DeliveryState): Promise<boolean> {
    return this.writeState(id, state, "");
  }

  recordOutcome(id: string, state: DeliveryState): Promise<boolean> {
    return this.writeState(id, state, " AND disabled_at IS NULL");
  }

  private async writeState(id: string, state: DeliveryState, condition: string): Promise<boolean> {
    const set = STATE_COLUMNS.map((column, i) => `${column} = $${i + 1}`).join(", ");
    const rows = await this.query<{ id: string }>(
      `UPDATE parley_webhook_endpoints SET ${set} WHERE id = $${STATE_COLUMNS.length + 1}${condition} RETURNING id`,
      [...stateValues(state), id],
    );
    return rows.length > 0;
  }

  async claim(id: string, owner: string, leaseMs: number): Promise<boolean> {
    const rows = await this.query<{ id: string }>(
      `UPDATE parley_webhook_endpoints SET lease_owner = $2, lease_until = ${DB_NOW} + $3
       WHERE id = $1 AND (lease_owner IS NULL OR lease_owner = $2 OR lease_until < ${DB_NOW}) RETURNING id`,
      [id, owner, leaseMs],
    );
    return rows.length > 0;
  }

  async release(id: string, owner: string): Promise<void> {
    await this.query(
      "UPDATE parley_webhook_endpoints SET lease_owner = NULL, lease_until = NULL WHERE id = $1 AND lease_owner = $2",
      [id, owner],
    );
  }

  async pending(id: string, limit: number): Promise<PendingRoom[]> {
    const rows = await this.query<{ room: string; cursor: string; last: string }>(
      `SELECT r.room AS room, COALESCE(c.seq, 0) AS cursor, r.last_seq AS last
       FROM parley_rooms r LEFT JOIN parley_webhook_cursors c ON c.endpoint = $1 AND c.room = r.room
       WHERE r.last_seq > COALESCE(c.seq, 0) AND EXISTS (SELECT 1 FROM parley_webhook_endpoints WHERE id = $1)
       LIMIT $2`,
      [id, limit],
    );
    return rows.map((r) => ({ room: r.room, cursor: Number(r.cursor), last: Number(r.last) }));
  }

  async advance(id: string, room: string, seq: number): Promise<void> {
    await this.query(
      `INSERT INTO parley_webhook_cursors (endpoint, room, seq) VALUES ($1, $2, $3)
       ON CONFLICT (endpoint, room) DO UPDATE SET seq = GREATEST(parley_webhook_cursors.seq, excluded.seq)`,
      [id, room, seq],
    );
  }

  async close(): Promise<void> {
    await this.pool.end().catch(() => {});
  }

  private async query<R extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<R[]> {
    await this.start();
    return (await this.pool.query<R>(text, values)).rows;
  }
}
