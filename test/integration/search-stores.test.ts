import { rmSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { MemoryStore } from "../../src/store/memory.ts";
import { MemorySearch } from "../../src/store/memory-search.ts";
import { PostgresStore } from "../../src/store/postgres.ts";
import { PostgresSearch } from "../../src/store/postgres-search.ts";
import { SqliteStore } from "../../src/store/sqlite.ts";
import { SqliteSearch } from "../../src/store/sqlite-search.ts";
import { createTestDatabase, postgresMissing, skipReason } from "../helpers/engines.ts";
import { tempDir } from "../helpers/parley.ts";
import { searchSuite } from "../shared/search-suite.ts";

const NO_RETENTION = { maxMessagesPerRoom: 0, maxAgeMs: 0 };

searchSuite({
  name: "memory",
  fresh: async () => {
    const store = new MemoryStore();
    return {
      store,
      openSearch: async () => new MemorySearch(store),
      // The memory store has no edit yet: its message objects are the stored rows.
      edit: async (room, seq, text) => {
        for (const message of store.messages()) if (message.room === room && message.seq === seq) message.text = text;
      },
      cleanup: async () => {},
    };
  },
});

searchSuite({
  name: "SQLite",
  fresh: async () => {
    const dir = tempDir();
    const file = join(dir, "parley.db");
    const store = new SqliteStore({ file, retention: NO_RETENTION, synchronous: "normal" });
    return {
      store,
      openSearch: async () => new SqliteSearch(file, undefined, undefined, () => store.searchCaughtUp()),
      edit: async (room, seq, text) => {
        const db = new Database(file);
        db.pragma("busy_timeout = 5000");
        db.prepare("UPDATE messages SET text = ? WHERE room = ? AND seq = ?").run(text, room, seq);
        db.close();
      },
      cleanup: async () => rmSync(dir, { recursive: true, force: true }),
    };
  },
});

searchSuite({
  name: "PostgreSQL",
  skip: () => skipReason(postgresMissing),
  fresh: async () => {
    const db = await createTestDatabase();
    const store = new PostgresStore({ url: db.url, retention: NO_RETENTION });
    await store.start();
    return {
      store,
      openSearch: async () => {
        const search = new PostgresSearch(db.url);
        await search.start();
        return search;
      },
      edit: async (room, seq, text) => {
        const client = new pg.Client({ connectionString: db.url });
        await client.connect();
        await client.query("UPDATE parley_messages SET text = $1 WHERE room = $2 AND seq = $3", [text, room, seq]);
        await client.end();
      },
      cleanup: () => db.drop(),
    };
  },
});
