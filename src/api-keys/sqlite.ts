import type Database from "better-sqlite3";
import { openSqliteFile } from "../store/sqlite-file.ts";
import type { ApiKey, ApiKeyStore, Right } from "./keys.ts";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS api_keys (
  id TEXT PRIMARY KEY, hash TEXT NOT NULL UNIQUE, name TEXT NOT NULL,
  rooms TEXT NOT NULL, rights TEXT NOT NULL, created_at INTEGER NOT NULL, revoked_at INTEGER
) WITHOUT ROWID;
`;

interface Row {
  id: string;
  name: string;
  rooms: string;
  rights: string;
  created_at: number;
  revoked_at: number | null;
}

const fromRow = (row: Row): ApiKey => ({
  id: row.id,
  name: row.name,
  rooms: JSON.parse(row.rooms) as string[],
  rights: JSON.parse(row.rights) as Right[],
  createdAt: row.created_at,
  revokedAt: row.revoked_at,
});

/** API keys in the history's SQLite file (its own connection, like the user store's). */
export class SqliteApiKeyStore implements ApiKeyStore {
  private readonly db: Database.Database;
  private readonly statements;
  private roomsStatement: Database.Statement<[], { room: string }> | undefined;

  constructor(file: string, synchronous: "full" | "normal") {
    this.db = openSqliteFile(file, synchronous);
    this.db.pragma("busy_timeout = 5000");
    this.db.exec(SCHEMA);
    const columns = "id, name, rooms, rights, created_at, revoked_at";
    this.statements = {
      insert: this.db.prepare<[string, string, string, string, string, number]>(
        "INSERT INTO api_keys (id, hash, name, rooms, rights, created_at) VALUES (?, ?, ?, ?, ?, ?)",
      ),
      byHash: this.db.prepare<[string], Row>(`SELECT ${columns} FROM api_keys WHERE hash = ?`),
      list: this.db.prepare<[], Row>(`SELECT ${columns} FROM api_keys ORDER BY created_at, id`),
      revoke: this.db.prepare<[number, string]>(
        "UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
      ),
    };
  }

  start(): Promise<void> {
    return Promise.resolve();
  }

  create(key: ApiKey, hash: string): Promise<void> {
    const { id, name, rooms, rights, createdAt } = key;
    this.statements.insert.run(id, hash, name, JSON.stringify(rooms), JSON.stringify(rights), createdAt);
    return Promise.resolve();
  }

  byHash(hash: string): Promise<ApiKey | undefined> {
    const row = this.statements.byHash.get(hash);
    return Promise.resolve(row && fromRow(row));
  }

  list(): Promise<ApiKey[]> {
    return Promise.resolve(this.statements.list.all().map(fromRow));
  }

  revoke(id: string, at: number): Promise<boolean> {
    return Promise.resolve(this.statements.revoke.run(at, id).changes > 0);
  }

  roomsWithHistory(): Promise<string[] | undefined> {
    // The history store owns the `rooms` table (and makes it, maybe after this store opened).
    try {
      this.roomsStatement ??= this.db.prepare<[], { room: string }>("SELECT room FROM rooms ORDER BY room");
      return Promise.resolve(this.roomsStatement.all().map((r) => r.room));
    } catch {
      return Promise.resolve(undefined);
    }
  }

  close(): Promise<void> {
    if (this.db.open) this.db.close();
    return Promise.resolve();
  }
}
