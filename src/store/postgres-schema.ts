import type pg from "pg";
import { CONVERSATION_COLUMNS } from "./conversation-rows.ts";

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

/** Makes or brings up to date the history's tables, under an advisory lock: one node at a time. */
export const migrate = async (pool: pg.Pool): Promise<void> => {
  const client = await pool.connect();
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
};

const ignore = (): void => {};
