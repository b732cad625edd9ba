import type pg from "pg";
import { nickKey } from "../chat/nick.ts";
import { MigrateOnce, openPool } from "./postgres-pool.ts";
import { staleNameKeys, type UserStore } from "./user-store.ts";

// Idempotent: every node runs it at start, under the history's advisory lock key + 1.
const MIGRATE_LOCK = 7_106_106;
const SCHEMA = `
CREATE TABLE IF NOT EXISTS parley_read_positions (
  user_id TEXT NOT NULL, room TEXT NOT NULL, seq BIGINT NOT NULL,
  PRIMARY KEY (user_id, room)
);
CREATE TABLE IF NOT EXISTS parley_reserved_names (name_key TEXT PRIMARY KEY, user_id TEXT NOT NULL, name TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS parley_room_privacy (room TEXT PRIMARY KEY, private BOOLEAN NOT NULL);
CREATE TABLE IF NOT EXISTS parley_joined_rooms (
  user_id TEXT NOT NULL, room TEXT NOT NULL, since BIGSERIAL,
  PRIMARY KEY (user_id, room)
);
CREATE TABLE IF NOT EXISTS parley_mentions (
  user_id TEXT NOT NULL, room TEXT NOT NULL, seq BIGINT NOT NULL,
  PRIMARY KEY (user_id, room, seq)
);
`;

export interface PostgresUserStoreOptions {
  url: string;
  log?: (line: string) => void;
}

/**
 * Read positions, reserved names and room privacy in the shared PostgreSQL database, so every
 * node of a cluster sees the same: a name reserved on one node is refused on all, a user's
 * unread counts are the same whichever node they reach. Its own small pool, next to the history's.
 */
export class PostgresUserStore implements UserStore {
  private readonly pool: pg.Pool;
  private readonly schema: MigrateOnce;

  constructor(options: PostgresUserStoreOptions) {
    this.pool = openPool(options.url, 2, options.log);
    this.schema = new MigrateOnce(this.pool, MIGRATE_LOCK, async (client) => {
      await client.query(SCHEMA);
      await rekeyNames(client);
    });
  }

  start(): Promise<void> {
    return this.schema.start();
  }

  async joinedRooms(user: string): Promise<string[]> {
    const rows = await this.query<{ room: string }>(
      "SELECT room FROM parley_joined_rooms WHERE user_id = $1 ORDER BY since",
      [user],
    );
    return rows.map((r) => r.room);
  }

  async setJoined(user: string, room: string, joined: boolean): Promise<void> {
    await this.query(
      joined
        ? "INSERT INTO parley_joined_rooms (user_id, room) VALUES ($1, $2) ON CONFLICT DO NOTHING"
        : "DELETE FROM parley_joined_rooms WHERE user_id = $1 AND room = $2",
      [user, room],
    );
  }

  async addMention(user: string, room: string, seq: number): Promise<void> {
    await this.query("INSERT INTO parley_mentions (user_id, room, seq) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING", [
      user,
      room,
      seq,
    ]);
  }

  async mentionCounts(user: string): Promise<Map<string, number>> {
    const rows = await this.query<{ room: string; n: string }>(
      `SELECT m.room, count(*) AS n FROM parley_mentions m
         LEFT JOIN parley_read_positions r ON r.user_id = m.user_id AND r.room = m.room
       WHERE m.user_id = $1 AND m.seq > coalesce(r.seq, 0) GROUP BY m.room`,
      [user],
    );
    return new Map(rows.map((r) => [r.room, Number(r.n)]));
  }

  async readPositions(user: string): Promise<Map<string, number>> {
    const rows = await this.query<{ room: string; seq: string }>(
      "SELECT room, seq FROM parley_read_positions WHERE user_id = $1",
      [user],
    );
    return new Map(rows.map((r) => [r.room, Number(r.seq)]));
  }

  async markRead(user: string, room: string, seq: number): Promise<number> {
    const rows = await this.query<{ seq: string }>(
      `INSERT INTO parley_read_positions (user_id, room, seq) VALUES ($1, $2, $3)
       ON CONFLICT (user_id, room) DO UPDATE SET seq = GREATEST(parley_read_positions.seq, excluded.seq)
       RETURNING seq`,
      [user, room, seq],
    );
    return Number(rows[0]?.seq ?? seq);
  }

  async reserveName(user: string, name: string): Promise<string> {
    const key = nickKey(name);
    await this.query(
      `INSERT INTO parley_reserved_names (name_key, user_id, name) VALUES ($1, $2, $3)
       ON CONFLICT (name_key) DO NOTHING`,
      [key, user, name],
    );
    // A statement of its own: it sees a reservation another node committed meanwhile.
    return (await this.nameOwner(name)) ?? user;
  }

  async nameOwner(name: string): Promise<string | undefined> {
    const rows = await this.query<{ user_id: string }>(
      "SELECT user_id FROM parley_reserved_names WHERE name_key = $1",
      [nickKey(name)],
    );
    return rows[0]?.user_id;
  }

  async roomPrivacy(): Promise<Map<string, boolean>> {
    const rows = await this.query<{ room: string; private: boolean }>("SELECT room, private FROM parley_room_privacy");
    return new Map(rows.map((r) => [r.room, r.private]));
  }

  async setRoomPrivacy(room: string, isPrivate: boolean): Promise<void> {
    await this.query(
      `INSERT INTO parley_room_privacy (room, private) VALUES ($1, $2)
       ON CONFLICT (room) DO UPDATE SET private = excluded.private`,
      [room, isPrivate],
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

/** Reservations stored under an older definition of `nickKey` get today's key (of two that now share a key, the first in key order keeps it). */
const rekeyNames = async (client: pg.PoolClient): Promise<void> => {
  const { rows } = await client.query<{ name_key: string; name: string }>(
    `SELECT name_key, name FROM parley_reserved_names ORDER BY name_key COLLATE "C"`,
  );
  for (const { oldKey, newKey } of staleNameKeys(rows, nickKey)) {
    await client.query(
      `UPDATE parley_reserved_names SET name_key = $1 WHERE name_key = $2
       AND NOT EXISTS (SELECT 1 FROM parley_reserved_names WHERE name_key = $1)`,
      [newKey, oldKey],
    );
    await client.query("DELETE FROM parley_reserved_names WHERE name_key = $1", [oldKey]);
  }
};
