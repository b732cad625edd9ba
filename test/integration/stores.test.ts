import { rmSync } from "node:fs";
import { join } from "node:path";
import { MemoryStore } from "../../src/store/memory.ts";
import { PostgresStore } from "../../src/store/postgres.ts";
import { SqliteStore } from "../../src/store/sqlite.ts";
import { createTestDatabase, postgresMissing, skipReason } from "../helpers/engines.ts";
import { tempDir } from "../helpers/parley.ts";
import { storeSuite } from "../shared/store-suite.ts";

storeSuite({
  name: "memory",
  durable: false,
  shared: false,
  fresh: async () => ({ open: async (retention) => new MemoryStore(retention), cleanup: async () => {} }),
});

storeSuite({
  name: "SQLite",
  durable: true,
  shared: false,
  fresh: async () => {
    const dir = tempDir();
    return {
      open: async (retention = { maxMessagesPerRoom: 0, maxAgeMs: 0 }) =>
        new SqliteStore({ file: join(dir, "parley.db"), retention, synchronous: "normal" }),
      cleanup: async () => rmSync(dir, { recursive: true, force: true }),
    };
  },
});

storeSuite({
  name: "PostgreSQL",
  durable: true,
  shared: true,
  skip: () => skipReason(postgresMissing),
  fresh: async () => {
    const db = await createTestDatabase();
    return {
      open: async (retention = { maxMessagesPerRoom: 0, maxAgeMs: 0 }) => {
        const store = new PostgresStore({ url: db.url, retention });
        await store.start();
        return store;
      },
      cleanup: () => db.drop(),
    };
  },
});
