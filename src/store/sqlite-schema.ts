import type Database from "better-sqlite3";
import { CONVERSATION_COLUMNS } from "./conversation-rows.ts";
import { checkSqliteFile, openSqliteFile } from "./sqlite-file.ts";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS rooms (room TEXT PRIMARY KEY, last_seq INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS messages (
  room TEXT NOT NULL, seq INTEGER NOT NULL, id TEXT NOT NULL, nick TEXT NOT NULL,
  text TEXT NOT NULL, ts INTEGER NOT NULL, cid TEXT,
  PRIMARY KEY (room, seq)
) WITHOUT ROWID;
CREATE UNIQUE INDEX IF NOT EXISTS messages_room_cid ON messages (room, cid) WHERE cid IS NOT NULL;
CREATE INDEX IF NOT EXISTS messages_ts ON messages (ts);
CREATE TABLE IF NOT EXISTS write_probe (id INTEGER PRIMARY KEY, at INTEGER NOT NULL);
`;

/**
 * Opens the history's file on this thread, checked, with its tables and the conversation columns
 * a file from before conversations lacks. The writer thread opens the same file after this.
 */
export const openHistoryFile = (file: string, synchronous: "full" | "normal"): Database.Database => {
  // The writer thread opens the same file: an in-memory database would be a different one.
  if (file === ":memory:") throw new Error("The SQLite store needs a file; use the memory store.");
  const db = openSqliteFile(file, synchronous);
  try {
    checkSqliteFile(db, file);
    db.exec(SCHEMA);
    const columns = db.pragma("table_info(messages)") as { name: string }[];
    const have = new Set(columns.map((c) => c.name));
    for (const [name, type] of CONVERSATION_COLUMNS) {
      if (!have.has(name)) db.exec(`ALTER TABLE messages ADD COLUMN ${name} ${type}`);
    }
  } catch (error) {
    db.close();
    throw error;
  }
  return db;
};
