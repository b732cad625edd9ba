import type { FileRef } from "../chat/message.ts";

/** One upload as the server keeps it: what messages show, plus where its bytes are and whose it is. */
export interface StoredFile extends FileRef {
  sha256: string;
  /** The JPEG thumbnail's content address, for images. */
  thumbSha256: string | null;
  /** The room it was uploaded for: only a message of that room may carry it. */
  room: string;
  /** Who may attach it: `u:<user>`, `c:<connection>` (an anonymous connection), `key:<id>`. */
  owner: string;
  /** Whose quota it counts against: `user:<id>`, `key:<id>`, `ip:<address>`. */
  quotaKey: string;
  createdAt: number;
  /** The message carrying it: 0 while a send is being stored, null before; with the cid of that send. */
  attachedSeq: number | null;
  attachedCid: string | null;
}

/** A ticket as kept (by the SHA-256 of its secret): who may upload with it, where, until when. */
export interface UploadTicket {
  owner: string;
  quotaKey: string;
  room: string;
  expiresAt: number;
}

export type Claim = { file: StoredFile } | { refused: "not_found" | "used" };

/**
 * The files' rows, next to the history (the same SQLite file, the same PostgreSQL database), so that
 * every node of a cluster sees every upload and ticket.
 */
export interface FileMetaStore {
  start(): Promise<void>;
  insert(file: StoredFile): Promise<void>;
  get(id: string): Promise<StoredFile | undefined>;
  /** Bytes stored for `quotaKey`. */
  usage(quotaKey: string): Promise<number>;
  /**
   * Reserves the upload `id` for a send of `owner` in `room` with `cid`: once. A repeat of the same
   * send (same cid) may claim it again, so a resent message is a duplicate, not a refusal.
   */
  claim(id: string, owner: string, room: string, cid: string | undefined): Promise<Claim>;
  /** The send was stored at `seq` (or, with null, was not: the upload is free again). */
  settle(id: string, seq: number | null): Promise<void>;
  /** The uploads attached to the message at `seq` of `room` (one, or none). */
  attachedAt(room: string, seq: number): Promise<StoredFile[]>;
  /** Rows to check: attached ones (after `afterId`, by id) for the sweep, a page at a time. */
  attachedPage(afterId: string, limit: number): Promise<StoredFile[]>;
  /** Uploads never attached, created before `before`. */
  unattachedBefore(before: number, limit: number): Promise<StoredFile[]>;
  remove(id: string): Promise<void>;
  /** Whether any row still refers to the content `sha256` (as a file or as a thumbnail). */
  refersTo(sha256: string): Promise<boolean>;
  putTicket(hash: string, ticket: UploadTicket): Promise<void>;
  ticket(hash: string, now: number): Promise<UploadTicket | undefined>;
  close(): Promise<void>;
}

/** For `--store memory` and tests: the same behaviour, in a Map. */
export class MemoryFileMetaStore implements FileMetaStore {
  private readonly files = new Map<string, StoredFile>();
  private readonly tickets = new Map<string, UploadTicket>();

  start(): Promise<void> {
    return Promise.resolve();
  }
  async insert(file: StoredFile): Promise<void> {
    this.files.set(file.id, { ...file });
  }
  async get(id: string): Promise<StoredFile | undefined> {
    const file = this.files.get(id);
    return file && { ...file };
  }
  async usage(quotaKey: string): Promise<number> {
    let total = 0;
    for (const file of this.files.values()) if (file.quotaKey === quotaKey) total += file.size;
    return total;
  }
  async claim(id: string, owner: string, room: string, cid: string | undefined): Promise<Claim> {
    const file = this.files.get(id);
    if (!file || file.owner !== owner || file.room !== room) return { refused: "not_found" };
    if (file.attachedSeq !== null && (cid === undefined || file.attachedCid !== cid)) return { refused: "used" };
    if (file.attachedSeq === null) {
      file.attachedSeq = 0;
      file.attachedCid = cid ?? null;
    }
    return { file: { ...file } };
  }
  async settle(id: string, seq: number | null): Promise<void> {
    const file = this.files.get(id);
    if (!file || file.attachedSeq === null) return;
    if (seq !== null) file.attachedSeq = seq;
    else if (file.attachedSeq === 0) {
      file.attachedSeq = null;
      file.attachedCid = null;
    }
  }
  async attachedAt(room: string, seq: number): Promise<StoredFile[]> {
    return [...this.files.values()].filter((f) => f.room === room && f.attachedSeq === seq).map((f) => ({ ...f }));
  }
  async attachedPage(afterId: string, limit: number): Promise<StoredFile[]> {
    return [...this.files.values()]
      .filter((f) => f.attachedSeq !== null && f.attachedSeq > 0 && f.id > afterId)
      .sort((a, b) => (a.id < b.id ? -1 : 1))
      .slice(0, limit);
  }
  async unattachedBefore(before: number, limit: number): Promise<StoredFile[]> {
    return [...this.files.values()].filter((f) => f.attachedSeq === null && f.createdAt < before).slice(0, limit);
  }
  async remove(id: string): Promise<void> {
    this.files.delete(id);
  }
  async refersTo(sha256: string): Promise<boolean> {
    for (const f of this.files.values()) if (f.sha256 === sha256 || f.thumbSha256 === sha256) return true;
    return false;
  }
  async putTicket(hash: string, ticket: UploadTicket): Promise<void> {
    for (const [key, t] of this.tickets) if (t.expiresAt < Date.now()) this.tickets.delete(key);
    this.tickets.set(hash, ticket);
  }
  async ticket(hash: string, now: number): Promise<UploadTicket | undefined> {
    const ticket = this.tickets.get(hash);
    return ticket && ticket.expiresAt > now ? ticket : undefined;
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}
