import { type ChildProcess, spawn } from "node:child_process";
import { after, before } from "node:test";
import type { RunningParley } from "../../src/server.ts";
import type { ParleyConfig } from "../../src/settings.ts";
import { connect, type TestClient } from "./client.ts";
import { createTestDatabase, REDIS_URL, redisPrefix, type TestDatabase } from "./engines.ts";
import { RUN_SOURCES } from "./lines.ts";
import { startTestParley, tempDir } from "./parley.ts";

export type Event = Record<string, unknown> & { type: string };

/** A JSON client with its events parsed, and ways to wait for them. */
export interface JsonClient {
  raw: TestClient;
  events(): Event[];
  /** Waits for an event matching `match` among those not yet taken by `take`. */
  take(match: (e: Event) => boolean, ms?: number): Promise<Event>;
  /** The `seq`s of `message` events of a room, in arrival order. */
  seqs(room: string): number[];
  send(frame: Record<string, unknown>): void;
  close(): Promise<void>;
}

export const jsonClient = async (port: number, room: string): Promise<JsonClient> => {
  const raw = await connect(`ws://127.0.0.1:${port}/chat/${room}`, "parley.v1");
  let cursor = 0;
  const parsedCache: Event[] = [];
  const events = () => {
    while (parsedCache.length < raw.frames.length)
      parsedCache.push(JSON.parse(raw.frames[parsedCache.length] as string));
    return parsedCache;
  };
  const client: JsonClient = {
    raw,
    events,
    take: async (match, ms = 10_000) => {
      const end = Date.now() + ms;
      for (;;) {
        const all = events();
        while (cursor < all.length) {
          const e = all[cursor++] as Event;
          if (match(e)) return e;
        }
        if (Date.now() > end) throw new Error(`timed out; last events: ${JSON.stringify(all.slice(-3))}`);
        await raw.waitForCount(all.length + 1, Math.max(1, end - Date.now())).catch(() => {});
      }
    },
    seqs: (r) =>
      events()
        .filter((e) => e.type === "message" && e.room === r)
        .map((e) => e.seq as number),
    send: (frame) => raw.send(JSON.stringify(frame)),
    close: () => raw.close(),
  };
  return client;
};

/** A JSON client that has finished joining its URL room. */
export const joinedClient = async (port: number, room: string): Promise<JsonClient> => {
  const client = await jsonClient(port, room);
  await client.take((e) => e.type === "joined" && e.room === room);
  return client;
};

export const waitUntil = async (probe: () => boolean, what: string, ms = 15_000): Promise<void> => {
  const end = Date.now() + ms;
  while (!probe()) {
    if (Date.now() > end) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

export const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** Several in-process nodes on the same engines. */
export const startNodes = async (count: number, config: Partial<ParleyConfig>): Promise<RunningParley[]> => {
  const nodes: RunningParley[] = [];
  for (let i = 0; i < count; i++) nodes.push(await startTestParley({ ...config, dataDir: tempDir() }));
  return nodes;
};

/** A node in its own process (so it can be killed with SIGKILL), on ephemeral ports. */
export const startChildNode = async (
  args: string[],
): Promise<{ process: ChildProcess; port: number; stop(): Promise<void> }> => {
  const child = spawn(
    process.execPath,
    [...RUN_SOURCES, "src/cli.ts", "--host", "127.0.0.1", "--port", "0", "--ws-port", "0", ...args],
    {
      stdio: ["ignore", "pipe", "pipe"],
      // Nothing of this process's environment but PATH, and the compile cache scripts/test.mjs sets.
      env: { PATH: process.env.PATH ?? "", NODE_COMPILE_CACHE: process.env.NODE_COMPILE_CACHE },
    },
  );
  let output = "";
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`child node did not start: ${output}`)), 20_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /page on http:\/\/[^:]+:(\d+)\//.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`child node exited with ${code}: ${output}`));
    });
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return {
    process: child,
    port,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
    },
  };
};

/** Anything a cluster test opens and must close at the end. */
interface Closable {
  close(): Promise<void>;
}

/**
 * `count` in-process nodes on the shared Redis and PostgreSQL, each test file with its own database and key
 * prefix: made in `before` (unless `reason` says the engines are missing), torn down in `after` with the
 * clients the test `track`ed. `extra` adds settings to every node's.
 */
export const clusterFixture = (
  count: number,
  reason: string | false,
  extra: Partial<ParleyConfig> = {},
): { nodes: RunningParley[]; track<T extends Closable>(client: T): T; settings(): Partial<ParleyConfig> } => {
  let db: TestDatabase | undefined;
  let keys: ReturnType<typeof redisPrefix> | undefined;
  const clients: Closable[] = [];
  const fixture = {
    nodes: [] as RunningParley[],
    track<T extends Closable>(client: T): T {
      clients.push(client);
      return client;
    },
    /** The nodes' settings, for one more node started later by the test. */
    settings: (): Partial<ParleyConfig> => ({ store: db?.url, redis: REDIS_URL, redisPrefix: keys?.prefix, ...extra }),
  };
  before(async () => {
    if (reason) return;
    db = await createTestDatabase();
    keys = redisPrefix();
    fixture.nodes.push(...(await startNodes(count, fixture.settings())));
  });
  after(async () => {
    for (const client of clients) await client.close();
    for (const node of fixture.nodes) await node.close();
    await db?.drop();
    await keys?.clean();
  });
  return fixture;
};
