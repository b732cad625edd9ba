import { rmSync } from "node:fs";
import { join } from "node:path";
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

userStoreSuite({
  name: "SQLite",
  durable: true,
  shared: false,
  fresh: async () => {
    const dir = tempDir();
    return {
      open: async () => new SqliteUserStore(join(dir, "parley.db"), "normal"),
      cleanup: async () => rmSync(dir, { recursive: true, force: true }),
    };
  },
});

userStoreSuite({
  name: "PostgreSQL",
  durable: true,
  shared: true,
  skip: () => skipReason(postgresMissing),
  fresh: async () => {
    const db = await createTestDatabase();
    return { open: async () => new PostgresUserStore({ url: db.url }), cleanup: () => db.drop() };
  },
});
