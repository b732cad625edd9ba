import { join } from "node:path";
import { storeKind } from "../engines.ts";
import type { ParleyConfig } from "../settings.ts";
import type { HistoryStore } from "../store/history-store.ts";
import { MemoryStore } from "../store/memory.ts";
import { MemoryWebhookStore, type WebhookStore } from "./endpoints.ts";

/**
 * Webhook endpoints and their cursors live next to the history: the same SQLite file, the same
 * PostgreSQL database. A history store handed to `startParley` (`overridden`) may be anywhere, so
 * its endpoints are kept in memory (and get deliveries only when it is a `MemoryStore`). The driver is
 * imported only when chosen, as in engines.ts.
 */
export const createWebhookStore = async (
  config: ParleyConfig,
  history: HistoryStore,
  overridden = false,
): Promise<WebhookStore> => {
  const { kind, url } = storeKind(config);
  if (kind === "memory" || overridden) {
    return new MemoryWebhookStore(() => (history instanceof MemoryStore ? history.heads() : new Map()));
  }
  if (kind === "postgres") {
    const { PostgresWebhookStore } = await import("./postgres.ts");
    return new PostgresWebhookStore({ url, log: (line) => process.stderr.write(`parley: ${line}\n`) });
  }
  const { SqliteWebhookStore } = await import("./sqlite.ts");
  return new SqliteWebhookStore(join(config.dataDir, "parley.db"), config.sqliteSync);
};
