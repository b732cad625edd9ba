import { rmSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { MemoryUserStore } from "../../src/store/memory-users.ts";
import { PostgresUserStore } from "../../src/store/postgres-users.ts";
import { SqliteUserStore } from "../../src/store/sqlite-users.ts";
import { createTestDatabase, postgresMissing, skipReason } from "../helpers/engines.ts";
import { tempDir } from "../helpers/parley.ts";
import { userStoreSuite } from "../shared/user-store-suite.ts";

userStoreSuite({
  name: "memory",
  durable: false,
  shared: false,
  fresh: async () => {
    const store = new MemoryUserStore();
    return { open: async () => store, cleanup: async () => {} };
  },
});

const sqliteDir = tempDir();
userStoreSuite({
  name: "SQLite",
  durable: true,
  shared: false,
  writeReservation: async ({ nameKey, user, name }) => {
    const db = new Database(join(sqliteDir, "parley.db"));
    db.prepare("INSERT INTO reserved_names (name_key, user, name) VALUES (?, ?, ?)").run(nameKey, user, name);
    db.close();
  },
  fresh: async () => {
    const dir = sqliteDir;
    return {
      open: async () => new SqliteUserStore(join(dir, "parley.db"), "normal"),
      cleanup: async () => rmSync(dir, { recursive: true, force: true }),
    };
  },
});

let postgresUrl = "";
userStoreSuite({
  name: "PostgreSQL",
  durable: true,
  shared: true,
  skip: () => skipReason(postgresMissing),
  writeReservation: async ({ nameKey, user, name }) => {
    const client = new pg.Client({ connectionString: postgresUrl });
    await client.connect();
    await client.query("INSERT INTO parley_reserved_names (name_key, user_id, name) VALUES ($1, $2, $3)", [
      nameKey,
      user,
      name,
    ]);
    await client.end();
  },
  fresh: async () => {
    const db = await createTestDatabase();
    postgresUrl = db.url;
    return { open: async () => new PostgresUserStore({ url: db.url }), cleanup: () => db.drop() };
  },
});
