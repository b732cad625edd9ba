import type Database from "better-sqlite3";
import { openSqliteFile } from "../store/sqlite-file.ts";
import { FILE_COLUMNS, type FileRow, fileOfRow, rowValues } from "./file-rows.ts";
import type { Claim, FileMetaStore, StoredFile, UploadTicket } from "./file-store.ts";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS files (
  id TEXT PRIMARY KEY, sha256 TEXT NOT NULL, thumb_sha256 TEXT, name TEXT NOT NULL, size INTEGER NOT NULL,
  type TEXT NOT NULL, width INTEGER, height INTEGER, room TEXT NOT NULL, owner TEXT NOT NULL,
  quota_key TEXT NOT NULL, created_at INTEGER NOT NULL, attached_seq INTEGER, attached_cid TEXT
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS files_sha256 ON files (sha256);
CREATE INDEX IF NOT EXISTS files_thumb ON files (thumb_sha256) WHERE thumb_sha256 IS NOT NULL;
CREATE INDEX IF NOT EXISTS files_quota ON files (quota_key);
CREATE INDEX IF NOT EXISTS files_unattached ON files (created_at) WHERE attached_seq IS NULL;
CREATE INDEX IF NOT EXISTS files_message ON files (room, attached_seq) WHERE attached_seq > 0;
CREATE TABLE IF NOT EXISTS upload_tickets (
  hash TEXT PRIMARY KEY, owner TEXT NOT NULL, quota_key TEXT NOT NULL, room TEXT NOT NULL, expires_at INTEGER NOT NULL
) WITHOUT ROWID;
`;

/** The files' rows in the history's SQLite file (its own connection, like the API keys'). */
export class SqliteFileMetaStore implements FileMetaStore {
  private readonly db: Database.Database;
  private readonly s;

  constructor(file: string, synchronous: "full" | "normal") {
    this.db = openSqliteFile(file, synchronous);
    this.db.pragma("busy_timeout = 5000");
    this.db.exec(SCHEMA);
    const db = this.db;
    this.s = {
      insert: db.prepare(`INSERT INTO files (${FILE_COLUMNS}) VALUES (${FILE_COLUMNS.replace(/\w+/g, "?")})`),
      get: db.prepare<[string], FileRow>(`SELECT ${FILE_COLUMNS} FROM files WHERE id = ?`),
      usage: db.prepare<[string], { total: number | null }>("SELECT sum(size) AS total FROM files WHERE quota_key = ?"),
      reserve: db.prepare<[string | null, string]>(
        "UPDATE files SET attached_seq = 0, attached_cid = ? WHERE id = ? AND attached_seq IS NULL",
      ),
      attach: db.prepare<[number, string]>(
        "UPDATE files SET attached_seq = ? WHERE id = ? AND attached_seq IS NOT NULL",
      ),
      release: db.prepare<[string]>(
        "UPDATE files SET attached_seq = NULL, attached_cid = NULL WHERE id = ? AND attached_seq = 0",
      ),
      attachedAt: db.prepare<[string, number], FileRow>(
        `SELECT ${FILE_COLUMNS} FROM files WHERE room = ? AND attached_seq = ? AND attached_seq > 0`,
      ),
      attachedPage: db.prepare<[string, number], FileRow>(
        `SELECT ${FILE_COLUMNS} FROM files WHERE id > ? AND attached_seq > 0 ORDER BY id LIMIT ?`,
      ),
      unattached: db.prepare<[number, number], FileRow>(
        `SELECT ${FILE_COLUMNS} FROM files WHERE attached_seq IS NULL AND created_at < ? LIMIT ?`,
      ),
      remove: db.prepare<[string]>("DELETE FROM files WHERE id = ?"),
      refersTo: db.prepare<[string, string], { one: number }>(
        "SELECT 1 AS one FROM files WHERE sha256 = ? UNION ALL SELECT 1 FROM files WHERE thumb_sha256 = ? LIMIT 1",
      ),
      putTicket: db.prepare<[string, string, string, string, number]>(
        "INSERT INTO upload_tickets (hash, owner, quota_key, room, expires_at) VALUES (?, ?, ?, ?, ?)",
      ),
      expireTickets: db.prepare<[number]>("DELETE FROM upload_tickets WHERE expires_at < ?"),
      ticket: db.prepare<[string, number], { owner: string; quota_key: string; room: string; expires_at: number }>(
        "SELECT owner, quota_key, room, expires_at FROM upload_tickets WHERE hash = ? AND expires_at > ?",
      ),
    };
  }

  start(): Promise<void> {
    return Promise.resolve();
  }
  async insert(file: StoredFile): Promise<void> {
    this.s.insert.run(...rowValues(file));
  }
  async get(id: string): Promise<StoredFile | undefined> {
    const row = this.s.get.get(id);
    return row && fileOfRow(row);
  }
  async usage(quotaKey: string): Promise<number> {
    return this.s.usage.get(quotaKey)?.total ?? 0;
  }
  async claim(id: string, owner: string, room: string, cid: string | undefined): Promise<Claim> {
    return this.db.transaction((): Claim => {
      const row = this.s.get.get(id);
      if (!row || row.owner !== owner || row.room !== room) return { refused: "not_found" };
      if (row.attached_seq !== null) {
        return cid !== undefined && row.attached_cid === cid ? { file: fileOfRow(row) } : { refused: "used" };
      }
      this.s.reserve.run(cid ?? null, id);
      return { file: fileOfRow(row) };
    })();
  }
  async settle(id: string, seq: number | null): Promise<void> {
    if (seq === null) this.s.release.run(id);
    else this.s.attach.run(seq, id);
  }
  async attachedAt(room: string, seq: number): Promise<StoredFile[]> {
    return this.s.attachedAt.all(room, seq).map(fileOfRow);
  }
  async attachedPage(afterId: string, limit: number): Promise<StoredFile[]> {
    return this.s.attachedPage.all(afterId, limit).map(fileOfRow);
  }
  async unattachedBefore(before: number, limit: number): Promise<StoredFile[]> {
    return this.s.unattached.all(before, limit).map(fileOfRow);
  }
  async remove(id: string): Promise<void> {
    this.s.remove.run(id);
  }
  async refersTo(sha256: string): Promise<boolean> {
    return this.s.refersTo.get(sha256, sha256) !== undefined;
  }
  async putTicket(hash: string, t: UploadTicket): Promise<void> {
    this.s.expireTickets.run(Date.now());
    this.s.putTicket.run(hash, t.owner, t.quotaKey, t.room, t.expiresAt);
  }
  async ticket(hash: string, now: number): Promise<UploadTicket | undefined> {
    const row = this.s.ticket.get(hash, now);
    return row && { owner: row.owner, quotaKey: row.quota_key, room: row.room, expiresAt: row.expires_at };
  }
  close(): Promise<void> {
    this.db.close();
    return Promise.resolve();
  }
}
