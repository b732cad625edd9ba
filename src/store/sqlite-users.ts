import type Database from "better-sqlite3";
import { nickKey } from "../chat/nick.ts";
import { GroupCommit } from "./group-commit.ts";
import { openSqliteFile } from "./sqlite-file.ts";
import { staleNameKeys, type UserStore } from "./user-store.ts";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS read_positions (
  user TEXT NOT NULL, room TEXT NOT NULL, seq INTEGER NOT NULL,
  PRIMARY KEY (user, room)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS reserved_names (name_key TEXT PRIMARY KEY, user TEXT NOT NULL, name TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS room_privacy (room TEXT PRIMARY KEY, private INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS joined_rooms (user TEXT NOT NULL, room TEXT NOT NULL, PRIMARY KEY (user, room));
CREATE TABLE IF NOT EXISTS mentions (
  user TEXT NOT NULL, room TEXT NOT NULL, seq INTEGER NOT NULL,
  PRIMARY KEY (user, room, seq)
) WITHOUT ROWID;
`;

interface Mark {
  user: string;
  room: string;
  seq: number;
}

/**
 * Read positions, reserved names and room privacy in the history's SQLite file (its own connection; WAL
 * lets both share the file, and this process is the only writer). Marks of one event-loop
 * turn are committed together, like the history's appends.
 */
export class SqliteUserStore implements UserStore {
  private readonly db: Database.Database;
  private readonly statements;
  private readonly marks = new GroupCommit<Mark, number>((batch) => this.commitMarks(batch));

  constructor(file: string, synchronous: "full" | "normal") {
    this.db = openSqliteFile(file, synchronous);
    this.db.pragma("busy_timeout = 5000");
    this.db.exec(SCHEMA);
    this.statements = {
      positions: this.db.prepare<[string], { room: string; seq: number }>(
        "SELECT room, seq FROM read_positions WHERE user = ?",
      ),
      mark: this.db.prepare<[string, string, number], { seq: number }>(
        `INSERT INTO read_positions (user, room, seq) VALUES (?, ?, ?)
         ON CONFLICT (user, room) DO UPDATE SET seq = max(seq, excluded.seq) RETURNING seq`,
      ),
      reserve: this.db.prepare<[string, string, string]>(
        "INSERT INTO reserved_names (name_key, user, name) VALUES (?, ?, ?) ON CONFLICT (name_key) DO NOTHING",
      ),
      owner: this.db.prepare<[string], { user: string }>("SELECT user FROM reserved_names WHERE name_key = ?"),
      privacy: this.db.prepare<[], { room: string; private: number }>("SELECT room, private FROM room_privacy"),
      mention: this.db.prepare<[string, string, number]>(
        "INSERT INTO mentions (user, room, seq) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
      ),
      mentionCounts: this.db.prepare<[string], { room: string; n: number }>(
        `SELECT m.room, count(*) AS n FROM mentions m
           LEFT JOIN read_positions r ON r.user = m.user AND r.room = m.room
         WHERE m.user = ? AND m.seq > coalesce(r.seq, 0) GROUP BY m.room`,
      ),
      joined: this.db.prepare<[string], { room: string }>(
        "SELECT room FROM joined_rooms WHERE user = ? ORDER BY rowid",
      ),
      join: this.db.prepare<[string, string]>(
        "INSERT INTO joined_rooms (user, room) VALUES (?, ?) ON CONFLICT DO NOTHING",
      ),
      leave: this.db.prepare<[string, string]>("DELETE FROM joined_rooms WHERE user = ? AND room = ?"),
      setPrivacy: this.db.prepare<[string, number]>(
        "INSERT INTO room_privacy (room, private) VALUES (?, ?) ON CONFLICT (room) DO UPDATE SET private = excluded.private",
      ),
    };
    this.rekeyNames();
  }

  /** Reservations stored under an older definition of `nickKey` get today's key (of two that now share a key, the first in key order keeps it). */
  private rekeyNames(): void {
    const rows = this.db.prepare<[], { name_key: string; name: string }>(
      "SELECT name_key, name FROM reserved_names ORDER BY name_key",
    );
    const stale = staleNameKeys(rows.all(), nickKey);
    if (stale.length === 0) return;
    const move = this.db.prepare<[string, string]>(
      "UPDATE OR IGNORE reserved_names SET name_key = ? WHERE name_key = ?",
    );
    const drop = this.db.prepare<[string]>("DELETE FROM reserved_names WHERE name_key = ?");
    this.db.transaction(() => {
      for (const { oldKey, newKey } of stale) if (move.run(newKey, oldKey).changes === 0) drop.run(oldKey);
    })();
  }

  start(): Promise<void> {
    return Promise.resolve();
  }

  roomPrivacy(): Promise<Map<string, boolean>> {
    return Promise.resolve(new Map(this.statements.privacy.all().map((r) => [r.room, r.private === 1])));
  }

  setRoomPrivacy(room: string, isPrivate: boolean): Promise<void> {
    this.statements.setPrivacy.run(room, isPrivate ? 1 : 0);
    return Promise.resolve();
  }

  joinedRooms(user: string): Promise<string[]> {
    return Promise.resolve(this.statements.joined.all(user).map((r) => r.room));
  }

  setJoined(user: string, room: string, joined: boolean): Promise<void> {
    (joined ? this.statements.join : this.statements.leave).run(user, room);
    return Promise.resolve();
  }

  addMention(user: string, room: string, seq: number): Promise<void> {
    this.statements.mention.run(user, room, seq);
    return Promise.resolve();
  }

  mentionCounts(user: string): Promise<Map<string, number>> {
    return Promise.resolve(new Map(this.statements.mentionCounts.all(user).map((r) => [r.room, r.n])));
  }

  readPositions(user: string): Promise<Map<string, number>> {
    return Promise.resolve(new Map(this.statements.positions.all(user).map((r) => [r.room, r.seq])));
  }

  markRead(user: string, room: string, seq: number): Promise<number> {
    return this.marks.add({ user, room, seq });
  }

  reserveName(user: string, name: string): Promise<string> {
    const key = nickKey(name);
    this.statements.reserve.run(key, user, name);
    return Promise.resolve(this.statements.owner.get(key)?.user ?? user);
  }

  nameOwner(name: string): Promise<string | undefined> {
    return Promise.resolve(this.statements.owner.get(nickKey(name))?.user);
  }

  close(): Promise<void> {
    this.marks.flush(); // committed at once (the commit is synchronous), before the file closes
    if (this.db.open) this.db.close();
    return Promise.resolve();
  }

  /** A batch of marks in one transaction; each answers the position now stored (a mark never moves it back). */
  private commitMarks(batch: readonly Mark[]): number[] {
    if (!this.db.open) throw new Error("The store is closed.");
    return this.db.transaction(() => batch.map((m) => this.statements.mark.get(m.user, m.room, m.seq)?.seq ?? m.seq))();
  }
}
