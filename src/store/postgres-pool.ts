import pg from "pg";

/**
 * A pool for one of Parley's PostgreSQL stores (history, users, API keys): a statement that hangs
 * fails, and a broken idle connection is logged instead of crashing the process.
 */
export const openPool = (url: string, size: number, log?: (line: string) => void): pg.Pool => {
  const pool = new pg.Pool({
    connectionString: url,
    max: size,
    connectionTimeoutMillis: 3000,
    idleTimeoutMillis: 30_000,
    // A statement that hangs (the link is half dead) fails instead of holding acks forever.
    query_timeout: 10_000,
  });
  // An idle connection that breaks emits here; without a listener it would crash the process.
  pool.on("error", (error) => log?.(`PostgreSQL connection lost: ${error.message}`));
  return pool;
};

/**
 * Runs an idempotent migration on one connection under a PostgreSQL advisory lock, so nodes that
 * start together migrate one after another. Each store has its own lock key.
 */
export const migrateUnderLock = async (
  pool: pg.Pool,
  lock: number,
  migrate: (client: pg.PoolClient) => Promise<void>,
): Promise<void> => {
  const client = await pool.connect();
  try {
    await client.query("SELECT pg_advisory_lock($1)", [lock]);
    try {
      await migrate(client);
    } finally {
      await client.query("SELECT pg_advisory_unlock($1)", [lock]);
    }
  } finally {
    client.release();
  }
};

/**
 * A store's `start()`: its migration runs once, and is tried again by the next call if it failed
 * (a database that was down at start must not leave the store broken for good).
 */
export class MigrateOnce {
  private ready: Promise<void> | undefined;

  private readonly pool: pg.Pool;
  private readonly lock: number;
  private readonly migrate: (client: pg.PoolClient) => Promise<unknown>;

  constructor(pool: pg.Pool, lock: number, migrate: (client: pg.PoolClient) => Promise<unknown>) {
    this.pool = pool;
    this.lock = lock;
    this.migrate = migrate;
  }

  start(): Promise<void> {
    this.ready ??= migrateUnderLock(this.pool, this.lock, async (client) => {
      await this.migrate(client);
    });
    this.ready.catch(() => {
      this.ready = undefined;
    });
    return this.ready;
  }
}
