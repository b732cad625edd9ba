import { randomUUID } from "node:crypto";
import { type FileHandle, link, mkdir, open, rm, unlink } from "node:fs/promises";
import { join } from "node:path";
import type { Readable } from "node:stream";

/** One upload being written: nothing of it is visible until `commit`; `abort` leaves nothing behind. */
export interface BlobWriter {
  write(chunk: Uint8Array): Promise<void>;
  /** Makes the bytes durable and visible under their SHA-256 (kept once when they are there already). */
  commit(sha256: string): Promise<void>;
  abort(): Promise<void>;
}

/** File contents by SHA-256: local disk by default, PostgreSQL large objects for a cluster. */
export interface BlobStore {
  begin(): Promise<BlobWriter>;
  /** The content, or undefined when it is not (or no longer) stored. */
  read(sha256: string): Promise<Readable | undefined>;
  remove(sha256: string): Promise<void>;
  /** Where the content is on this machine's disk, when it is there (sharp then reads the file itself). */
  localPath?(sha256: string): string;
  close(): Promise<void>;
}

const SHA256 = /^[0-9a-f]{64}$/;

/**
 * `<dir>/sha256/ab/<hash>`: written to `<dir>/tmp/` first, fsynced, then linked into place, so a
 * reader never sees half a file and a crash leaves only a temporary file (cleared at start).
 */
export class DiskBlobStore implements BlobStore {
  private readonly tmp: string;

  private readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
    this.tmp = join(dir, "tmp");
  }

  /** Clears what a crash left in tmp/: nothing there belongs to a finished upload. */
  async start(): Promise<void> {
    await rm(this.tmp, { recursive: true, force: true });
    await mkdir(this.tmp, { recursive: true });
  }

  localPath(sha256: string): string {
    return this.pathOf(sha256);
  }

  private pathOf(sha256: string): string {
    if (!SHA256.test(sha256)) throw new Error(`not a SHA-256: ${sha256}`);
    return join(this.dir, "sha256", sha256.slice(0, 2), sha256);
  }

  async begin(): Promise<BlobWriter> {
    const temp = join(this.tmp, randomUUID());
    const handle: FileHandle = await open(temp, "wx", 0o600);
    let closed = false;
    const close = async () => {
      if (closed) return;
      closed = true;
      await handle.close();
    };
    return {
      write: async (chunk) => {
        let done = 0;
        while (done < chunk.byteLength) done += (await handle.write(chunk, done)).bytesWritten;
      },
      commit: async (sha256) => {
        try {
          await handle.sync();
          await close();
          const final = this.pathOf(sha256);
          await mkdir(join(final, ".."), { recursive: true });
          // link, not rename: an existing copy (the same bytes) stays as it is, and EEXIST says so.
          await link(temp, final).catch((error: NodeJS.ErrnoException) => {
            if (error.code !== "EEXIST") throw error;
          });
        } finally {
          await unlink(temp).catch(() => {});
        }
      },
      abort: async () => {
        await close().catch(() => {});
        await unlink(temp).catch(() => {});
      },
    };
  }

  /**
   * Opened before it is returned: a stream that opened lazily could find the content removed
   * meanwhile (a delete of its last message) and fail with nobody listening; an open file reads on.
   */
  async read(sha256: string): Promise<Readable | undefined> {
    let handle: FileHandle;
    try {
      handle = await open(this.pathOf(sha256), "r");
    } catch {
      return undefined;
    }
    return handle.createReadStream();
  }

  async remove(sha256: string): Promise<void> {
    await unlink(this.pathOf(sha256)).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== "ENOENT") throw error;
    });
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
