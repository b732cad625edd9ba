import { join } from "node:path";
import { storeKind } from "../engines.ts";
import type { FileAttachments } from "../service/conversation/attach.ts";
import type { ParleyConfig } from "../settings.ts";
import type { HistoryStore } from "../store/history-store.ts";
import { type BlobStore, DiskBlobStore } from "./blobs.ts";
import { type FileMetaStore, MemoryFileMetaStore } from "./file-store.ts";
import { FileService, refOf } from "./files.ts";

/** How often uploads never sent are looked for; every FULL_SWEEP_EVERY-th time, files of pruned messages too. */
export const SWEEP_MS = 60_000;
export const FULL_SWEEP_EVERY = 60;

export interface Files {
  service: FileService;
  attachments: FileAttachments;
  /** Unsent uploads every minute; the full pass over attached files (retention's prunes) every hour. */
  startSweeps(report: (error: unknown) => void): () => void;
  close(): Promise<void>;
}

/**
 * Files next to the history: a SQLite history keeps the rows in its file and the contents on disk
 * under --data-dir/files; a PostgreSQL history keeps both in its database (large objects), since
 * nodes of a cluster share no disk. The driver is imported only when chosen, as in engines.ts.
 */
export const createFiles = async (config: ParleyConfig, history: HistoryStore): Promise<Files> => {
  const { kind, url } = storeKind(config);
  let meta: FileMetaStore;
  let blobs: BlobStore;
  if (kind === "postgres") {
    const { PostgresFiles } = await import("./postgres.ts");
    const both = new PostgresFiles({ url, log: (line) => process.stderr.write(`parley: ${line}\n`) });
    meta = both;
    blobs = both.blobs();
  } else {
    const disk = new DiskBlobStore(join(config.dataDir, "files"));
    await disk.start();
    blobs = disk;
    if (kind === "memory") meta = new MemoryFileMetaStore();
    else {
      const { SqliteFileMetaStore } = await import("./sqlite-meta.ts");
      meta = new SqliteFileMetaStore(join(config.dataDir, "parley.db"), config.sqliteSync);
    }
  }
  await meta.start();
  const service = new FileService(
    meta,
    blobs,
    {
      maxBytes: config.fileMaxBytes,
      quotaBytes: config.fileQuotaBytes,
      perMinute: config.fileRate,
      unattachedMs: config.fileUnattachedMs,
    },
    history,
  );
  return {
    service,
    attachments: {
      maxBytes: config.fileMaxBytes,
      issueTicket: (owner, quotaKey, room) => service.issueTicket({ owner, quotaKey }, room),
      claim: async (id, owner, room, cid) => {
        const claim = await service.claim(id, owner, room, cid);
        return "refused" in claim ? claim.refused : refOf(claim.file);
      },
      settle: (id, seq) => service.settle(id, seq),
    },
    startSweeps: (report) => {
      let sweeps = 0;
      const timer = setInterval(() => {
        const full = ++sweeps % FULL_SWEEP_EVERY === 0;
        (full ? service.sweep() : service.sweepUnattached()).catch(report);
      }, SWEEP_MS);
      timer.unref();
      return () => clearInterval(timer);
    },
    close: async () => {
      await blobs.close();
      await meta.close();
    },
  };
};
