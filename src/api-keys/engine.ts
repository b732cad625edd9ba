import { join } from "node:path";
import { storeKind } from "../engines.ts";
import type { ParleyConfig } from "../settings.ts";
import { type ApiKeyStore, MemoryApiKeyStore } from "./keys.ts";
import { PostgresApiKeyStore } from "./postgres.ts";
import { SqliteApiKeyStore } from "./sqlite.ts";

/** API keys live next to the history: the same SQLite file, the same PostgreSQL database. */
export const createApiKeyStore = (config: ParleyConfig): ApiKeyStore => {
  const { kind, url } = storeKind(config);
  if (kind === "memory") return new MemoryApiKeyStore();
  if (kind === "postgres") {
    return new PostgresApiKeyStore({ url, log: (line) => process.stderr.write(`parley: ${line}\n`) });
  }
  return new SqliteApiKeyStore(join(config.dataDir, "parley.db"), config.sqliteSync);
};
