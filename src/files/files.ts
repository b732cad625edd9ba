import { createHash, randomBytes } from "node:crypto";
import type { Readable } from "node:stream";
import type { FileRef } from "../chat/message.ts";
import { Problem } from "../http/api/problem.ts";
import type { HistoryStore } from "../store/history-store.ts";
import type { BlobStore } from "./blobs.ts";
import type { Claim, FileMetaStore, StoredFile } from "./file-store.ts";
import { claimLies, IMAGE_TYPES, SNIFF_BYTES, sniffType } from "./sniff.ts";
import { makeThumbnail } from "./thumbnail.ts";

export interface FileLimits {
  maxBytes: number;
  quotaBytes: number;
  /** Uploads per minute per uploader (0: no limit). */
  perMinute: number;
  unattachedMs: number;
}

/** Who uploads: who may attach it (`owner`), whose quota and rate it counts against (`quotaKey`). */
export interface Uploader {
  owner: string;
  quotaKey: string;
}

/** A ticket's lifetime: long enough to pick a file and send it, short enough that a leak matters little. */
export const TICKET_MS = 5 * 60_000;

export const hashTicket = (ticket: string): string => createHash("sha256").update(ticket).digest("hex");

/** What a message shows of a stored file. */
export const refOf = (file: StoredFile): FileRef => {
  const ref: FileRef = { id: file.id, name: file.name, size: file.size, type: file.type };
  if (file.image) ref.image = file.image;
  return ref;
};

const SWEEP_PAGE = 200;

const DISK_FULL = new Set(["ENOSPC", "EDQUOT", "EFBIG"]);
/** PostgreSQL's disk_full and program_limit_exceeded (a large object past its limit). */
const DB_FULL = new Set(["53100", "54000"]);

const isFull = (error: unknown): boolean => {
  const code = String((error as { code?: unknown }).code ?? "");
  return DISK_FULL.has(code) || DB_FULL.has(code);
};

/**
 * Files in the conversation: receiving an upload (streamed to the blob store, hashed, sniffed,
 * thumbnailed), the tickets of anonymous uploaders, attaching an upload to a message once, and
 * removing what nothing refers to any more.
 */
export class FileService {
  readonly meta: FileMetaStore;
  readonly blobs: BlobStore;
  readonly limits: FileLimits;
  private readonly history: HistoryStore;
  private readonly now: () => number;

  constructor(
    meta: FileMetaStore,
    blobs: BlobStore,
    limits: FileLimits,
    history: HistoryStore,
    now: () => number = Date.now,
  ) {
    this.meta = meta;
    this.blobs = blobs;
    this.limits = limits;
    this.history = history;
    this.now = now;
  }

  /** Refusals that need no byte of the body: size, quota. */
  async admit(uploader: Uploader, length: number): Promise<void> {
    if (length > this.limits.maxBytes) {
      throw new Problem(413, "too_large", `The file is ${length} bytes; the most is ${this.limits.maxBytes}.`);
    }
    const used = await this.meta.usage(uploader.quotaKey);
    if (used + length > this.limits.quotaBytes) {
      throw new Problem(
        413,
        "quota_exceeded",
        `Your files take ${used} bytes; this one would pass your quota of ${this.limits.quotaBytes}. Delete messages with files to make room.`,
      );
    }
  }

  /**
   * Streams `body` (`length` bytes) into the blob store while hashing it and keeping its first bytes;
   * the content is visible only once whole, checked and committed. Anything failing removes what was written.
   */
  async receive(
    body: AsyncIterable<Uint8Array>,
    length: number,
    room: string,
    name: string,
    claimed: string | undefined,
    uploader: Uploader,
  ): Promise<StoredFile> {
    const hash = createHash("sha256");
    const head: Buffer[] = [];
    let headBytes = 0;
    let size = 0;
    let writer: Awaited<ReturnType<BlobStore["begin"]>>;
    try {
      writer = await this.blobs.begin();
    } catch (error) {
      throw isFull(error) ? storageFull() : error;
    }
    let type: string;
    let sha256: string;
    try {
      for await (const chunk of body) {
        size += chunk.byteLength;
        if (size > length) throw new Problem(413, "too_large", "The body is longer than its Content-Length.");
        hash.update(chunk);
        if (headBytes < SNIFF_BYTES) {
          head.push(Buffer.from(chunk.subarray(0, SNIFF_BYTES - headBytes)));
          headBytes += Math.min(chunk.byteLength, SNIFF_BYTES - headBytes);
        }
        await writer.write(chunk);
      }
      if (size < length) throw new Problem(400, "bad_request", "The body ended before its Content-Length.");
      type = await sniffType(Buffer.concat(head));
      if (claimLies(claimed, type)) {
        throw new Problem(415, "type_mismatch", `The file was sent as ${claimed} but its bytes are ${type}.`);
      }
      sha256 = hash.digest("hex");
      await writer.commit(sha256);
    } catch (error) {
      await writer.abort().catch(() => {});
      throw isFull(error) ? storageFull() : error;
    }
    const file: StoredFile = {
      ...{ id: randomBytes(16).toString("base64url"), name, size, type, sha256, thumbSha256: null, room },
      ...{ owner: uploader.owner, quotaKey: uploader.quotaKey, createdAt: this.now() },
      ...{ attachedSeq: null, attachedCid: null },
    };
    try {
      if (IMAGE_TYPES.has(type)) await this.addThumbnail(file);
      await this.meta.insert(file);
    } catch (error) {
      await this.forget(file).catch(() => {});
      throw isFull(error) ? storageFull() : error;
    }
    return file;
  }

  private async addThumbnail(file: StoredFile): Promise<void> {
    const original = this.blobs.localPath?.(file.sha256) ?? (await this.blobs.read(file.sha256));
    const thumb = original && (await makeThumbnail(original));
    if (!thumb) return; // not the image its signature says: served as an attachment only
    const sha = createHash("sha256").update(thumb.jpeg).digest("hex");
    const writer = await this.blobs.begin();
    try {
      await writer.write(thumb.jpeg);
      await writer.commit(sha);
    } catch (error) {
      await writer.abort().catch(() => {});
      throw error;
    }
    file.thumbSha256 = sha;
    file.image = { width: thumb.width, height: thumb.height };
  }

  async issueTicket(uploader: Uploader, room: string): Promise<{ ticket: string; expires: number }> {
    const ticket = randomBytes(24).toString("base64url");
    const expires = this.now() + TICKET_MS;
    await this.meta.putTicket(hashTicket(ticket), { ...uploader, room, expiresAt: expires });
    return { ticket, expires };
  }

  claim(id: string, owner: string, room: string, cid: string | undefined): Promise<Claim> {
    return this.meta.claim(id, owner, room, cid);
  }

  settle(id: string, seq: number | null): Promise<void> {
    return this.meta.settle(id, seq);
  }

  read(sha256: string): Promise<Readable | undefined> {
    return this.blobs.read(sha256);
  }

  /** The message at `seq` was deleted: the file it carried goes now (its content once nothing refers to it). */
  async messageDeleted(room: string, seq: number): Promise<void> {
    for (const file of await this.meta.attachedAt(room, seq)) {
      if (!(await this.stillCarried(file))) await this.forget(file);
    }
  }

  /**
   * Removes uploads never attached within `unattachedMs`, and files whose message is gone (deleted,
   * pruned by retention); their content once no row refers to it. Resolves with how many went.
   */
  async sweep(): Promise<number> {
    return (await this.sweepUnattached()) + (await this.sweepAttached());
  }

  /** Uploads never sent, past `unattachedMs`. */
  async sweepUnattached(): Promise<number> {
    let removed = 0;
    for (;;) {
      const stale = await this.meta.unattachedBefore(this.now() - this.limits.unattachedMs, SWEEP_PAGE);
      for (const file of stale) await this.forget(file);
      removed += stale.length;
      if (stale.length < SWEEP_PAGE) return removed;
    }
  }

  /** Every attached file whose message no longer carries it (pruned by retention; a delete missed by a crash). */
  async sweepAttached(): Promise<number> {
    let removed = 0;
    const PAGE = SWEEP_PAGE;
    let after = "";
    for (;;) {
      const page = await this.meta.attachedPage(after, PAGE);
      for (const file of page) {
        if (!(await this.stillCarried(file))) {
          await this.forget(file);
          removed++;
        }
      }
      if (page.length < PAGE) break;
      after = (page.at(-1) as StoredFile).id;
    }
    return removed;
  }

  private async stillCarried(file: StoredFile): Promise<boolean> {
    const seq = file.attachedSeq as number;
    const [message] = await this.history.after(file.room, seq - 1, 1);
    return message !== undefined && message.seq === seq && message.file?.id === file.id;
  }

  /** The row, then its content and thumbnail unless another row still refers to them. */
  private async forget(file: StoredFile): Promise<void> {
    await this.meta.remove(file.id);
    for (const sha of [file.sha256, file.thumbSha256]) {
      if (sha && !(await this.meta.refersTo(sha))) await this.blobs.remove(sha);
    }
  }
}

const storageFull = () =>
  new Problem(507, "storage_full", "The server's storage is full; nothing of the file was kept. Try again later.");
