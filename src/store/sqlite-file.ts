import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";

/**
 * Opens (creating its folder) the SQLite file the history and the user store share: WAL, so
 * their connections and the writer thread read while one writes; `synchronous` as configured.
 */
export const openSqliteFile = (file: string, synchronous: "full" | "normal"): Database.Database => {
  mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file);
  db.pragma("journal_mode = WAL");
  db.pragma(`synchronous = ${synchronous.toUpperCase()}`);
  return db;
};
