import { join } from "node:path";
import { storeKind } from "../engines.ts";
import type { ParleyConfig } from "../settings.ts";
import { type ApiKeyStore, MemoryApiKeyStore } from "./keys.ts";

/**
 * API keys live next to the history: the same SQLite file, the same PostgreSQL database. The driver is
 * imported only when chosen, as in engines.ts.
 */
export const createApiKeyStore = async (config: ParleyConfig): Promise<ApiKeyStore> => {
  const { kind, url } = storeKind(config);
  if (kind === "memory") return new MemoryApiKeyStore();
  if (kind === "postgres") {
    const { PostgresApiKeyStore } = await import("./postgres.ts");
    return new PostgresApiKeyStore({ url, log: (line) => process.stderr.write(`parley: ${line}\n`) });
  }
  const { SqliteApiKeyStore } = await import("./sqlite.ts");
  return new SqliteApiKeyStore(join(config.dataDir, "parley.db"), config.sqliteSync);
};
