import type pg from "pg";
import { MigrateOnce, openPool } from "../store/postgres-pool.ts";
import type { ApiKey, ApiKeyStore, Right } from "./keys.ts";

// Idempotent: every node runs it at start, under the history's advisory lock key + 2.
const MIGRATE_LOCK = 7_106_107;
const SCHEMA = `
CREATE TABLE IF NOT EXISTS parley_api_keys (
  id TEXT PRIMARY KEY, hash TEXT NOT NULL UNIQUE, name TEXT NOT NULL,
  rooms JSONB NOT NULL, rights JSONB NOT NULL, created_at BIGINT NOT NULL, revoked_at BIGINT
);
`;

interface Row {
  id: string;
  name: string;
  rooms: string[];
  rights: Right[];
  created_at: string;
  revoked_at: string | null;
}

const fromRow = (row: Row): ApiKey => ({
  id: row.id,
  name: row.name,
  rooms: row.rooms,
  rights: row.rights,
  createdAt: Number(row.created_at),
  revokedAt: row.revoked_at === null ? null : Number(row.revoked_at),
});

const COLUMNS = "id, name, rooms, rights, created_at, revoked_at";

/** API keys in the shared PostgreSQL database: a key made or revoked on one node is so on all. */
export class PostgresApiKeyStore implements ApiKeyStore {
  private readonly pool: pg.Pool;
  private readonly schema: MigrateOnce;

  constructor(options: { url: string; log?: (line: string) => void }) {
    this.pool = openPool(options.url, 2, options.log);
    this.schema = new MigrateOnce(this.pool, MIGRATE_LOCK, (client) => client.query(SCHEMA));
  }

  start(): Promise<void> {
    return this.schema.start();
  }

  async create(key: ApiKey, hash: string): Promise<void> {
    await this.query(
      "INSERT INTO parley_api_keys (id, hash, name, rooms, rights, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
      [key.id, hash, key.name, JSON.stringify(key.rooms), JSON.stringify(key.rights), key.createdAt],
    );
  }

  async byHash(hash: string): Promise<ApiKey | undefined> {
    const rows = await this.query<Row>(`SELECT ${COLUMNS} FROM parley_api_keys WHERE hash = $1`, [hash]);
    return rows[0] && fromRow(rows[0]);
  }

  async list(): Promise<ApiKey[]> {
    return (await this.query<Row>(`SELECT ${COLUMNS} FROM parley_api_keys ORDER BY created_at, id`)).map(fromRow);
  }

  async revoke(id: string, at: number): Promise<boolean> {
    const rows = await this.query<{ id: string }>(
      "UPDATE parley_api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL RETURNING id",
      [at, id],
    );
    return rows.length > 0;
  }

  async roomsWithHistory(): Promise<string[] | undefined> {
    const rows = await this.query<{ room: string }>("SELECT room FROM parley_rooms ORDER BY room");
    return rows.map((r) => r.room);
  }

  async close(): Promise<void> {
    await this.pool.end().catch(() => {});
  }

  private async query<R extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<R[]> {
    await this.start();
    return (await this.pool.query<R>(text, values)).rows;
  }
}
