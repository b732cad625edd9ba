import { mkdirSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";

/** Another process (or another Parley in this one) holds the data directory. */
export class DataDirBusyError extends Error {
  readonly dir: string;

  constructor(dir: string) {
    super(
      `Another Parley is already running on the data directory ${dir} (it holds ${join(dir, "parley.lock")}); ` +
        "stop it first, or give this one another --data-dir.",
    );
    this.dir = dir;
    this.name = "DataDirBusyError";
  }
}

/** Held while it is open; `release` gives the directory back. */
export interface DataDirLock {
  release(): void;
}

/**
 * One Parley per data directory: two writing one SQLite file would each number the rooms'
 * messages on their own. The lock is `parley.lock`, a tiny SQLite database held in an exclusive
 * write transaction for the life of the process. SQLite takes it with an fcntl lock, which the
 * kernel drops when the process ends in any way (kill -9 too), so no stale lock can block a
 * restart, unlike a pid file or a lock directory (proper-lockfile) that must be judged stale by
 * age. better-sqlite3 is already here; no native lock library is needed.
 */
export const lockDataDir = (dir: string): DataDirLock => {
  mkdirSync(dir, { recursive: true });
  // timeout 0: a held lock fails at once instead of waiting (better-sqlite3 waits 5 s by default).
  const db = new Database(join(dir, "parley.lock"), { timeout: 0 });
  try {
    db.pragma("locking_mode = EXCLUSIVE");
    db.exec("BEGIN EXCLUSIVE");
  } catch (error) {
    db.close();
    if ((error as { code?: unknown }).code === "SQLITE_BUSY") throw new DataDirBusyError(dir);
    throw error;
  }
  return {
    release: () => {
      if (db.open) db.close(); // closing rolls the empty transaction back and drops the lock
    },
  };
};
