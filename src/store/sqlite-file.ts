import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";

/** SQLite's answers for a file that is not a sound database. */
const DAMAGE_CODES = new Set(["SQLITE_CORRUPT", "SQLITE_NOTADB", "SQLITE_CORRUPT_INDEX", "SQLITE_CORRUPT_SEQUENCE"]);

/** The SQLite file cannot be used as it is; the message names it and says what to do. */
export class DamagedFileError extends Error {
  readonly file: string;

  constructor(file: string, problem: string) {
    super(
      `The SQLite file ${file} is damaged (${problem}). Parley did not start and changed nothing. ` +
        `Restore it from a backup, or move it away to start with an empty history (sqlite3 ${file} .recover may save what is readable).`,
    );
    this.file = file;
    this.name = "DamagedFileError";
  }
}

const damaged = (file: string, error: unknown): unknown =>
  DAMAGE_CODES.has(String((error as { code?: unknown }).code)) ? new DamagedFileError(file, String(error)) : error;

/** Above the checkpointer's TRUNCATE bound (16,000 frames, `sqlite-checkpointer.js`). */
const OTHER_CONNECTIONS_CHECKPOINT_AT = 20_000;

/**
 * Opens (creating its folder) the SQLite file the history and the user store share: WAL, so
 * their connections and the writer thread read while one writes; `synchronous` as configured.
 */
export const openSqliteFile = (file: string, synchronous: "full" | "normal"): Database.Database => {
  mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file);
  try {
    db.pragma("journal_mode = WAL");
    db.pragma(`synchronous = ${synchronous.toUpperCase()}`);
    // The history store's checkpointer thread keeps the WAL below ~4,000-16,000 frames; a commit on
    // this thread (a read mark, a user's setting) must not checkpoint it on the event loop at SQLite's
    // default 1,000. Still a bound when no history store checkpoints the file (a test's own store).
    db.pragma(`wal_autocheckpoint = ${OTHER_CONNECTIONS_CHECKPOINT_AT}`);
  } catch (error) {
    db.close();
    throw damaged(file, error);
  }
  return db;
};

/**
 * Checks the file's structure before it is used: `PRAGMA quick_check(1)` reads every page once
 * (linear in the file's size: 0.65 s for 1,000,000 messages, 330 MB, here; 2.5-4 s on a busy machine) and stops at the first
 * problem, so a damaged file is refused at start, by name, instead of failing writes later.
 */
export const checkSqliteFile = (db: Database.Database, file: string): void => {
  let answer: unknown;
  try {
    answer = db.pragma("quick_check(1)", { simple: true });
  } catch (error) {
    throw damaged(file, error);
  }
  if (answer !== "ok") throw new DamagedFileError(file, `quick_check: ${String(answer).replace(/\s*\n\s*/g, " ")}`);
};
