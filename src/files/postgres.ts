import { Readable } from "node:stream";
import type pg from "pg";
import { MigrateOnce, openPool } from "../store/postgres-pool.ts";
import type { BlobStore, BlobWriter } from "./blobs.ts";
import { FILE_COLUMNS, type FileRow, fileOfRow, rowValues } from "./file-rows.ts";
import type { Claim, FileMetaStore, StoredFile, UploadTicket } from "./file-store.ts";

// Idempotent: every node runs it at start, under the history's advisory lock key + 3.
const MIGRATE_LOCK = 7_106_108;
const SCHEMA = `
CREATE TABLE IF NOT EXISTS parley_files (
  id TEXT PRIMARY KEY, sha256 TEXT NOT NULL, thumb_sha256 TEXT, name TEXT NOT NULL, size BIGINT NOT NULL,
  type TEXT NOT NULL, width INTEGER, height INTEGER, room TEXT NOT NULL, owner TEXT NOT NULL,
  quota_key TEXT NOT NULL, created_at BIGINT NOT NULL, attached_seq BIGINT, attached_cid TEXT
);
CREATE INDEX IF NOT EXISTS parley_files_sha256 ON parley_files (sha256);
CREATE INDEX IF NOT EXISTS parley_files_thumb ON parley_files (thumb_sha256) WHERE thumb_sha256 IS NOT NULL;
CREATE INDEX IF NOT EXISTS parley_files_quota ON parley_files (quota_key);
CREATE INDEX IF NOT EXISTS parley_files_unattached ON parley_files (created_at) WHERE attached_seq IS NULL;
CREATE INDEX IF NOT EXISTS parley_files_message ON parley_files (room, attached_seq) WHERE attached_seq > 0;
CREATE TABLE IF NOT EXISTS parley_upload_tickets (
  hash TEXT PRIMARY KEY, owner TEXT NOT NULL, quota_key TEXT NOT NULL, room TEXT NOT NULL, expires_at BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS parley_file_blobs (sha256 TEXT PRIMARY KEY, oid OID NOT NULL);
`;

/** How much of a large object one statement reads or writes. */
const CHUNK = 256 * 1024;

/**
 * Files in the shared PostgreSQL database: rows and tickets in tables, contents as large objects
 * (`parley_file_blobs`: SHA-256 → oid), so every node reads what any node stored, with no shared disk.
 */
export class PostgresFiles implements FileMetaStore {
  private readonly pool: pg.Pool;
  private readonly schema: MigrateOnce;

  constructor(options: { url: string; log?: (line: string) => void }) {
    // An upload holds one connection for its transaction: this many uploads at once per node.
    this.pool = openPool(options.url, 6, options.log);
    this.schema = new MigrateOnce(this.pool, MIGRATE_LOCK, (client) => client.query(SCHEMA));
  }

  start(): Promise<void> {
    return this.schema.start();
  }

  private async rows(sql: string, values: unknown[]): Promise<FileRow[]> {
    return (await this.pool.query<FileRow>(sql, values)).rows;
  }

  async insert(file: StoredFile): Promise<void> {
    const marks = FILE_COLUMNS.split(", ").map((_, i) => `$${i + 1}`);
    await this.pool.query(`INSERT INTO parley_files (${FILE_COLUMNS}) VALUES (${marks.join(", ")})`, rowValues(file));
  }
  async get(id: string): Promise<StoredFile | undefined> {
    const [row] = await this.rows(`SELECT ${FILE_COLUMNS} FROM parley_files WHERE id = $1`, [id]);
    return row && fileOfRow(row);
  }
  async usage(quotaKey: string): Promise<number> {
    const result = await this.pool.query<{ total: string | null }>(
      "SELECT sum(size) AS total FROM parley_files WHERE quota_key = $1",
      [quotaKey],
    );
    return Number(result.rows[0]?.total ?? 0);
  }
  async claim(id: string, owner: string, room: string, cid: string | undefined): Promise<Claim> {
    const [row] = await this.rows(
      `UPDATE parley_files SET attached_seq = COALESCE(attached_seq, 0), attached_cid = COALESCE(attached_cid, $4)
        WHERE id = $1 AND owner = $2 AND room = $3 AND (attached_seq IS NULL OR attached_cid = $4)
        RETURNING ${FILE_COLUMNS}`,
      [id, owner, room, cid ?? null],
    );
    if (row) return { file: fileOfRow(row) };
    const [other] = await this.rows(`SELECT ${FILE_COLUMNS} FROM parley_files WHERE id = $1`, [id]);
    return { refused: other && other.owner === owner && other.room === room ? "used" : "not_found" };
  }
  async settle(id: string, seq: number | null): Promise<void> {
    if (seq === null) {
      await this.pool.query(
        "UPDATE parley_files SET attached_seq = NULL, attached_cid = NULL WHERE id = $1 AND attached_seq = 0",
        [id],
      );
    } else await this.pool.query("UPDATE parley_files SET attached_seq = $2 WHERE id = $1", [id, seq]);
  }
  async attachedAt(room: string, seq: number): Promise<StoredFile[]> {
    const sql = `SELECT ${FILE_COLUMNS} FROM parley_files WHERE room = $1 AND attached_seq = $2 AND attached_seq > 0`;
    return (await this.rows(sql, [room, seq])).map(fileOfRow);
  }
  async attachedPage(afterId: string, limit: number): Promise<StoredFile[]> {
    const sql = `SELECT ${FILE_COLUMNS} FROM parley_files WHERE id > $1 AND attached_seq > 0 ORDER BY id LIMIT $2`;
    return (await this.rows(sql, [afterId, limit])).map(fileOfRow);
  }
  async unattachedBefore(before: number, limit: number): Promise<StoredFile[]> {
    const sql = `SELECT ${FILE_COLUMNS} FROM parley_files WHERE attached_seq IS NULL AND created_at < $1 LIMIT $2`;
    return (await this.rows(sql, [before, limit])).map(fileOfRow);
  }
  async remove(id: string): Promise<void> {
    await this.pool.query("DELETE FROM parley_files WHERE id = $1", [id]);
  }
  async refersTo(sha256: string): Promise<boolean> {
    const result = await this.pool.query(
      "SELECT 1 FROM parley_files WHERE sha256 = $1 UNION ALL SELECT 1 FROM parley_files WHERE thumb_sha256 = $1 LIMIT 1",
      [sha256],
    );
    return result.rows.length > 0;
  }
  async putTicket(hash: string, t: UploadTicket): Promise<void> {
    await this.pool.query("DELETE FROM parley_upload_tickets WHERE expires_at < $1", [Date.now()]);
    await this.pool.query(
      "INSERT INTO parley_upload_tickets (hash, owner, quota_key, room, expires_at) VALUES ($1, $2, $3, $4, $5)",
      [hash, t.owner, t.quotaKey, t.room, t.expiresAt],
    );
  }
  async ticket(hash: string, now: number): Promise<UploadTicket | undefined> {
    const result = await this.pool.query<{ owner: string; quota_key: string; room: string; expires_at: string }>(
      "SELECT owner, quota_key, room, expires_at FROM parley_upload_tickets WHERE hash = $1 AND expires_at > $2",
      [hash, now],
    );
    const row = result.rows[0];
    return row && { owner: row.owner, quotaKey: row.quota_key, room: row.room, expiresAt: Number(row.expires_at) };
  }

  /** One transaction per upload: a large object made, written chunk by chunk; a rollback leaves nothing. */
  async beginBlob(): Promise<BlobWriter> {
    const client = await this.pool.connect();
    let oid: number;
    try {
      await client.query("BEGIN");
      oid = Number((await client.query<{ oid: string }>("SELECT lo_create(0) AS oid")).rows[0]?.oid);
    } catch (error) {
      await client.query("ROLLBACK").catch(() => {});
      client.release();
      throw error;
    }
    let offset = 0;
    let done = false;
    const finish = async (sql: string) => {
      if (done) return;
      done = true;
      try {
        await client.query(sql);
      } finally {
        client.release();
      }
    };
    return {
      write: async (chunk) => {
        await client.query("SELECT lo_put($1, $2, $3)", [oid, offset, Buffer.from(chunk)]);
        offset += chunk.byteLength;
      },
      commit: async (sha256) => {
        try {
          const kept = await client.query(
            "INSERT INTO parley_file_blobs (sha256, oid) VALUES ($1, $2) ON CONFLICT (sha256) DO NOTHING",
            [sha256, oid],
          );
          // The same bytes are stored already: this copy goes with the transaction's end.
          if (kept.rowCount === 0) await client.query("SELECT lo_unlink($1)", [oid]);
        } catch (error) {
          await finish("ROLLBACK").catch(() => {});
          throw error;
        }
        await finish("COMMIT");
      },
      abort: () => finish("ROLLBACK"),
    };
  }

  async readBlob(sha256: string): Promise<Readable | undefined> {
    const found = await this.pool.query<{ oid: string }>("SELECT oid FROM parley_file_blobs WHERE sha256 = $1", [
      sha256,
    ]);
    const oid = found.rows[0]?.oid;
    if (oid === undefined) return undefined;
    const pool = this.pool;
    // One chunk per statement, pulled as the reader takes them: never the whole object in memory.
    return Readable.from(
      (async function* () {
        for (let offset = 0; ; offset += CHUNK) {
          const part = await pool.query<{ data: Buffer }>("SELECT lo_get($1, $2, $3) AS data", [oid, offset, CHUNK]);
          const data = part.rows[0]?.data;
          if (!data || data.length === 0) return;
          yield data;
          if (data.length < CHUNK) return;
        }
      })(),
    );
  }

  async removeBlob(sha256: string): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query("BEGIN");
      const gone = await client.query<{ oid: string }>(
        "DELETE FROM parley_file_blobs WHERE sha256 = $1 RETURNING oid",
        [sha256],
      );
      for (const row of gone.rows) await client.query("SELECT lo_unlink($1)", [row.oid]);
      await client.query("COMMIT");
    } catch (error) {
      await client.query("ROLLBACK").catch(() => {});
      throw error;
    } finally {
      client.release();
    }
  }

  /** The contents' side, for the FileService (closing is the rows' side's). */
  blobs(): BlobStore {
    return {
      begin: () => this.beginBlob(),
      read: (sha256) => this.readBlob(sha256),
      remove: (sha256) => this.removeBlob(sha256),
      close: () => Promise.resolve(),
    };
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
