import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { join } from "node:path";
import type { Broker } from "./broker/broker.ts";
import { MemoryBroker } from "./broker/memory.ts";
import { ConfigError } from "./config.ts";
import { MemoryPresence } from "./presence/memory.ts";
import type { Presence } from "./presence/presence.ts";
import type { ParleyConfig } from "./settings.ts";
import type { HistoryStore, Retention } from "./store/history-store.ts";
import { MemoryStore } from "./store/memory.ts";
import { MemoryUserStore } from "./store/memory-users.ts";
import type { SearchIndex } from "./store/search.ts";
import { createSearch } from "./store/search-engine.ts";
import type { UserStore } from "./store/user-store.ts";

// The engines' drivers (better-sqlite3, pg, ioredis) are imported when chosen, never all at once: a
// PostgreSQL node never loads the native SQLite module, an embedded one never loads pg or ioredis.

/** The engines one node runs on: embedded by default, Redis and PostgreSQL for a cluster. */
export interface Engines {
  readonly nodeId: string;
  readonly store: HistoryStore;
  readonly broker: Broker;
  readonly presence: Presence;
  /** Signed-in users' read positions and reserved names, and room privacy: in the history's database. */
  readonly users: UserStore;
  /** Full-text search over the history, on the store's engine. */
  readonly search: SearchIndex;
  /** Resolves when every engine answered (schema migrated); rejects with a clear reason. */
  ready(): Promise<void>;
  close(): Promise<void>;
}

const DAY_MS = 24 * 60 * 60 * 1000;
const isPostgresUrl = (value: string): boolean => /^postgres(ql)?:\/\//.test(value);

/** `--store` resolved: `auto` is PostgreSQL when a database URL is given, SQLite otherwise. */
export const storeKind = (config: ParleyConfig): { kind: "sqlite" | "memory" | "postgres"; url: string } => {
  if (isPostgresUrl(config.store)) return { kind: "postgres", url: config.store };
  if (config.store === "postgres") {
    if (!config.databaseUrl) throw new ConfigError("--store postgres needs --database-url (or DATABASE_URL).");
    return { kind: "postgres", url: config.databaseUrl };
  }
  if (config.store === "auto") return config.databaseUrl ? { kind: "postgres", url: config.databaseUrl } : sqlite;
  if (config.store === "sqlite" || config.store === "memory") return { kind: config.store, url: "" };
  throw new ConfigError(`Unknown store "${config.store}"; use sqlite, memory or a postgres:// URL.`);
};
const sqlite = { kind: "sqlite", url: "" } as const;

const log = (line: string): void => {
  process.stderr.write(`parley: ${line}\n`);
};

export const createStore = async (config: ParleyConfig): Promise<HistoryStore> => {
  const retention: Retention = { maxMessagesPerRoom: config.retainMessages, maxAgeMs: config.retainDays * DAY_MS };
  const { kind, url } = storeKind(config);
  if (kind === "memory") return new MemoryStore(retention);
  if (kind === "postgres") {
    const { PostgresStore } = await import("./store/postgres.ts");
    return new PostgresStore({ url, retention, log });
  }
  const { SqliteStore } = await import("./store/sqlite.ts");
  return new SqliteStore({ file: join(config.dataDir, "parley.db"), retention, synchronous: config.sqliteSync });
};

/** Per-user state lives next to the history: the same SQLite file, the same PostgreSQL database. */
export const createUserStore = async (config: ParleyConfig): Promise<UserStore> => {
  const { kind, url } = storeKind(config);
  if (kind === "memory") return new MemoryUserStore();
  if (kind === "postgres") {
    const { PostgresUserStore } = await import("./store/postgres-users.ts");
    return new PostgresUserStore({ url, log });
  }
  const { SqliteUserStore } = await import("./store/sqlite-users.ts");
  return new SqliteUserStore(join(config.dataDir, "parley.db"), config.sqliteSync);
};

const createBrokerAndPresence = async (config: ParleyConfig, nodeId: string): Promise<[Broker, Presence]> => {
  if (!config.redis) return [new MemoryBroker(), new MemoryPresence()];
  const [{ RedisBroker }, { RedisPresence }] = await Promise.all([
    import("./broker/redis.ts"),
    import("./presence/redis.ts"),
  ]);
  const common = { url: config.redis, prefix: config.redisPrefix, nodeId, log };
  return [new RedisBroker(common), new RedisPresence({ ...common, nodeTimeoutMs: config.nodeTimeoutMs })];
};

/**
 * Picks and starts the engines. Redis makes sense only over a store every node shares: with
 * SQLite or memory each node would number its rooms' messages on its own, so it is refused.
 */
export const createEngines = async (config: ParleyConfig, storeOverride?: HistoryStore): Promise<Engines> => {
  const { kind } = storeKind(config);
  if (config.redis && kind !== "postgres") {
    throw new ConfigError(
      "--redis runs several nodes, which must share their history: add --store postgres://… (or DATABASE_URL).",
    );
  }
  const nodeId = `${hostname()}-${process.pid}-${randomBytes(3).toString("hex")}`;
  // One process per data directory: memory has none, and PostgreSQL is shared by design.
  const lock = kind === "sqlite" ? (await import("./store/data-dir-lock.ts")).lockDataDir(config.dataDir) : undefined;
  let store: HistoryStore | undefined;
  let users: UserStore;
  try {
    store = storeOverride ?? (await createStore(config));
    users = await createUserStore(config);
  } catch (error) {
    if (store !== storeOverride) void store?.close().catch(() => {});
    lock?.release();
    throw error;
  }
  const history = store;
  let search: SearchIndex;
  try {
    search = await createSearch({ kind, url: storeKind(config).url, log }, history);
  } catch (error) {
    if (history !== storeOverride) void history.close().catch(() => {});
    void users.close().catch(() => {});
    lock?.release();
    throw error;
  }
  const [broker, presence] = await createBrokerAndPresence(config, nodeId);
  return {
    nodeId,
    store: history,
    broker,
    presence,
    users,
    search,
    ready: async () => {
      await history.start();
      await search.start?.().catch((error: unknown) => {
        throw new Error(`The search index could not be made: ${String(error)}`);
      });
      await users.start();
      // A few tries: at start the connections may still be opening.
      for (let attempt = 1; ; attempt++) {
        try {
          await Promise.all([broker.ping(), presence.ping()]);
          return;
        } catch (error) {
          if (attempt >= 5) throw new Error(`Redis at ${config.redis} is not reachable: ${String(error)}`);
        }
      }
    },
    close: async () => {
      await presence.close();
      await search.close();
      await history.close();
      await users.close();
      await broker.close();
      lock?.release();
    },
  };
};
