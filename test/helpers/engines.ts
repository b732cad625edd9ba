import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createServer, type Server, Socket } from "node:net";
import { Redis } from "ioredis";
import pg from "pg";
import { deleteKeysUnder } from "../../bench/lib/redis-keys.ts";

/** The machine's shared services (CI starts them); tests make their own database and key prefix. */
export const PG_ADMIN_URL = process.env.PARLEY_TEST_PG ?? "postgres://postgres@127.0.0.1:5432/postgres";
export const REDIS_URL = process.env.PARLEY_TEST_REDIS ?? "redis://127.0.0.1:6379";

const reachable = new Map<string, Promise<string | null>>();

/** null when PostgreSQL answers, else why not. */
export const postgresMissing = (): Promise<string | null> => {
  let answer = reachable.get("pg");
  if (!answer) {
    answer = (async () => {
      const client = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 2000 });
      try {
        await client.connect();
        await client.query("SELECT 1");
        return null;
      } catch (error) {
        return `PostgreSQL not reachable at ${PG_ADMIN_URL} (${String(error)})`;
      } finally {
        await client.end().catch(() => {});
      }
    })();
    reachable.set("pg", answer);
  }
  return answer;
};

/** null when Redis answers, else why not. */
export const redisMissing = (): Promise<string | null> => {
  let answer = reachable.get("redis");
  if (!answer) {
    answer = (async () => {
      const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      redis.on("error", () => {});
      try {
        await redis.connect();
        await redis.ping();
        return null;
      } catch (error) {
        return `Redis not reachable at ${REDIS_URL} (${String(error)})`;
      } finally {
        redis.disconnect();
      }
    })();
    reachable.set("redis", answer);
  }
  return answer;
};

/** Says loudly, on stderr and in the test report, that a suite did not run and why. */
export const skipReason = async (...checks: Array<() => Promise<string | null>>): Promise<string | false> => {
  const reasons = (await Promise.all(checks.map((check) => check()))).filter((r): r is string => r !== null);
  if (reasons.length === 0) return false;
  const reason = `SKIPPED (needs a real server): ${reasons.join("; ")}`;
  process.stderr.write(`\n*** ${reason} ***\n\n`);
  return reason;
};

export const uniqueName = (prefix: string): string => `${prefix}_${process.pid}_${randomBytes(4).toString("hex")}`;

export interface TestDatabase {
  url: string;
  /** The same database through another host:port (a proxy). */
  urlVia(port: number): string;
  drop(): Promise<void>;
}

/** A fresh PostgreSQL database for one test file; `drop` removes it. */
export const createTestDatabase = async (): Promise<TestDatabase> => {
  const name = uniqueName("parley_test");
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    urlVia: (port) => {
      const via = new URL(url.toString());
      via.host = `127.0.0.1:${port}`;
      return via.toString();
    },
    drop: async () => {
      const client = new pg.Client({ connectionString: PG_ADMIN_URL });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
};

/** A unique Redis key prefix, and a way to delete every key under it. */
export const redisPrefix = (): { prefix: string; clean(url?: string): Promise<void> } => {
  const prefix = `${uniqueName("parley-test")}:`;
  return {
    prefix,
    clean: (url = REDIS_URL) => deleteKeysUnder(url, prefix),
  };
};

export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

/** A redis-server of the test's own (never the shared one), which the test may stop and start. */
export class OwnRedis {
  private process: ChildProcess | undefined;
  readonly port: number;

  private constructor(port: number) {
    this.port = port;
  }

  static async start(): Promise<OwnRedis> {
    const redis = new OwnRedis(await freePort());
    await redis.start();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const child = spawn(
      "redis-server",
      ["--port", String(this.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no"],
      { stdio: "ignore" },
    );
    this.process = child;
    for (let i = 0; i < 100; i++) {
      const redis = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      redis.on("error", () => {});
      try {
        await redis.connect();
        await redis.ping();
        return;
      } catch {
        await sleep(50);
      } finally {
        redis.disconnect();
      }
    }
    throw new Error(`redis-server on ${this.port} did not start`);
  }

  /** Stops it hard (SIGKILL): what a crash looks like to the nodes. */
  async stop(): Promise<void> {
    const child = this.process;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGKILL");
    await exited;
  }
}

/**
 * A TCP proxy in front of PostgreSQL that the test can cut (every link dropped, new ones
 * refused by an immediate close) and restore: the shared server itself is never stopped.
 */
export class CutProxy {
  private readonly sockets = new Set<Socket>();
  private cutOff = false;
  private readonly server: Server;

  private constructor(server: Server) {
    this.server = server;
  }

  static async start(targetPort: number, targetHost = "127.0.0.1"): Promise<CutProxy> {
    const server = createServer();
    const proxy = new CutProxy(server);
    server.on("connection", (client) => proxy.accept(client, targetPort, targetHost));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return proxy;
  }

  get port(): number {
    return (this.server.address() as { port: number }).port;
  }

  cut(): void {
    this.cutOff = true;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }

  restore(): void {
    this.cutOff = false;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private accept(client: Socket, port: number, host: string): void {
    if (this.cutOff) {
      client.destroy();
      return;
    }
    const upstream = new Socket();
    this.sockets.add(client);
    this.sockets.add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
    };
    client.on("error", drop).on("close", drop);
    upstream.on("error", drop).on("close", drop);
    upstream.connect(port, host, () => {
      client.pipe(upstream);
      upstream.pipe(client);
    });
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
