import { rmSync } from "node:fs";
import { join } from "node:path";
import { MemoryStore } from "../../src/store/memory.ts";
import { PostgresStore } from "../../src/store/postgres.ts";
import { SqliteStore } from "../../src/store/sqlite.ts";
import { MemoryWebhookStore } from "../../src/webhooks/endpoints.ts";
import { PostgresWebhookStore } from "../../src/webhooks/postgres.ts";
import { SqliteWebhookStore } from "../../src/webhooks/sqlite.ts";
import { createTestDatabase, postgresMissing, skipReason } from "../helpers/engines.ts";
import { tempDir } from "../helpers/parley.ts";
import { webhookStoreSuite } from "../shared/webhook-store-suite.ts";

const NO_RETENTION = { maxMessagesPerRoom: 0, maxAgeMs: 0 };

webhookStoreSuite({
  name: "memory",
  durable: false,
  shared: false,
  fresh: async () => ({
    open: async () => {
      const history = new MemoryStore();
      return { history, webhooks: new MemoryWebhookStore(() => history.heads()) };
    },
    cleanup: async () => {},
  }),
});

webhookStoreSuite({
  name: "SQLite",
  durable: true,
  shared: false,
  fresh: async () => {
    const dir = tempDir();
    const file = join(dir, "parley.db");
    return {
      open: async () => {
        const history = new SqliteStore({ file, retention: NO_RETENTION, synchronous: "normal" });
        return { history, webhooks: new SqliteWebhookStore(file, "normal") };
      },
      cleanup: async () => rmSync(dir, { recursive: true, force: true }),
    };
  },
});

webhookStoreSuite({
  name: "PostgreSQL",
  durable: true,
  shared: true,
  skip: () => skipReason(postgresMissing),
  fresh: async () => {
    const db = await createTestDatabase();
    return {
      open: async () => {
        const history = new PostgresStore({ url: db.url, retention: NO_RETENTION });
        await history.start();
        const webhooks = new PostgresWebhookStore({ url: db.url });
        await webhooks.start();
        return { history, webhooks };
      },
      cleanup: () => db.drop(),
    };
  },
});
