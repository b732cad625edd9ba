import type Database from "better-sqlite3";
import { openSqliteFile } from "../store/sqlite-file.ts";
import type { DeliveryState, PendingRoom, WebhookEndpoint, WebhookStore } from "./endpoints.ts";
import { ENDPOINT_COLUMNS, type EndpointRow, endpointFromRow, STATE_COLUMNS, stateValues } from "./rows.ts";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS webhook_endpoints (
  id TEXT PRIMARY KEY, url TEXT NOT NULL, secret TEXT NOT NULL, events TEXT NOT NULL, rooms TEXT NOT NULL,
  created_at INTEGER NOT NULL, failing_since INTEGER, failures INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL, last_attempt_at INTEGER, last_success_at INTEGER, last_status INTEGER,
  last_error TEXT, disabled_at INTEGER, disabled_reason TEXT
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS webhook_cursors (
  endpoint TEXT NOT NULL, room TEXT NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (endpoint, room)
) WITHOUT ROWID;
`;

/**
 * Endpoints and cursors in the history's SQLite file (its own connection). One process owns the
 * file (data-dir-lock.ts), so there is nobody to share an endpoint with: `claim` is always true.
 * The history store makes the `rooms` table (room, last_seq) that `pending` compares cursors with.
 */
export class SqliteWebhookStore implements WebhookStore {
  private readonly db: Database.Database;
  private readonly statements;

  constructor(file: string, synchronous: "full" | "normal") {
    this.db = openSqliteFile(file, synchronous);
    this.db.pragma("busy_timeout = 5000");
    this.db.exec(SCHEMA);
    const db = this.db;
    this.statements = {
      insert: db.prepare<[string, string, string, string, string, number, number]>(
        "INSERT INTO webhook_endpoints (id, url, secret, events, rooms, created_at, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
      ),
      startCursors: db.prepare<[string]>(
        "INSERT INTO webhook_cursors (endpoint, room, seq) SELECT ?, room, last_seq FROM rooms",
      ),
      list: db.prepare<[], EndpointRow>(`SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoints ORDER BY created_at, id`),
      secret: db.prepare<[string], { secret: string }>("SELECT secret FROM webhook_endpoints WHERE id = ?"),
      remove: db.prepare<[string]>("DELETE FROM webhook_endpoints WHERE id = ?"),
      removeCursors: db.prepare<[string]>("DELETE FROM webhook_cursors WHERE endpoint = ?"),
      setState: db.prepare(
        `UPDATE webhook_endpoints SET ${STATE_COLUMNS.map((c) => `${c} = ?`).join(", ")} WHERE id = ?`,
      ),
      recordOutcome: db.prepare(
        `UPDATE webhook_endpoints SET ${STATE_COLUMNS.map((c) => `${c} = ?`).join(", ")} WHERE id = ? AND disabled_at IS NULL`,
      ),
      pending: db.prepare<{ id: string; limit: number }, PendingRoom>(
        `SELECT r.room AS room, COALESCE(c.seq, 0) AS cursor, r.last_seq AS last
         FROM rooms r LEFT JOIN webhook_cursors c ON c.endpoint = @id AND c.room = r.room
         WHERE r.last_seq > COALESCE(c.seq, 0) AND EXISTS (SELECT 1 FROM webhook_endpoints WHERE id = @id)
         LIMIT @limit`,
      ),
      advance: db.prepare<[string, string, number]>(
        `INSERT INTO webhook_cursors (endpoint, room, seq) VALUES (?, ?, ?)
         ON CONFLICT (endpoint, room) DO UPDATE SET seq = max(seq, excluded.seq)`,
      ),
    };
  }

  start(): Promise<void> {
    return Promise.resolve();
  }

  create(endpoint: WebhookEndpoint, secret: string): Promise<void> {
    const { id, url, events, rooms, createdAt, nextAttemptAt } = endpoint;
    this.db.transaction(() => {
      this.statements.insert.run(
        id,
        url,
        secret,
        JSON.stringify(events),
        JSON.stringify(rooms),
        createdAt,
        nextAttemptAt,
      );
      this.statements.startCursors.run(id);
    })();
    return Promise.resolve();
  }

  list(): Promise<WebhookEndpoint[]> {
    return Promise.resolve(this.statements.list.all().map(endpointFromRow));
  }

  secretOf(id: string): Promise<string | undefined> {
    return Promise.resolve(this.statements.secret.get(id)?.secret);
  }

  remove(id: string): Promise<boolean> {
    return Promise.resolve(
      this.db.transaction(() => {
        this.statements.removeCursors.run(id);
        return this.statements.remove.run(id).changes > 0;
      })(),
    );
  }

  setState(id: string, state: DeliveryState): Promise<boolean> {
    return Promise.resolve(this.statements.setState.run(...stateValues(state), id).changes > 0);
  }

  recordOutcome(id: string, state: DeliveryState): Promise<boolean> {
    return Promise.resolve(this.statements.recordOutcome.run(...stateValues(state), id).changes > 0);
  }

  claim(id: string): Promise<boolean> {
    return Promise.resolve(this.statements.secret.get(id) !== undefined);
  }

  release(): Promise<void> {
    return Promise.resolve();
  }

  pending(id: string, limit: number): Promise<PendingRoom[]> {
    return Promise.resolve(this.statements.pending.all({ id, limit }));
  }

  advance(id: string, room: string, seq: number): Promise<void> {
    this.statements.advance.run(id, room, seq);
    return Promise.resolve();
  }

  close(): Promise<void> {
    if (this.db.open) this.db.close();
    return Promise.resolve();
  }
}
