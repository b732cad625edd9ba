/**
 * What a second node costs: fan-out throughput of 1 node vs 2 nodes on this machine.
 *
 *   npm run bench:cluster [-- --messages 3000 --receivers 200 --senders 10 --rounds 3]
 *
 * Each case starts its nodes as child processes (`src/cli.ts`) on loopback, on a fresh
 * PostgreSQL database and a fresh Redis key prefix, connects receivers and senders spread
 * evenly over the nodes, and sends `messages` messages in one room (each sender keeps at most
 * WINDOW unacknowledged). It measures from the first send until every client has every message:
 * messages/s stored and ordered, and deliveries/s (messages × clients), plus send→receive latency
 * seen by one receiver per node. The cases run interleaved, `rounds` times, and the median round is
 * reported (with the range): the machine is shared, so one run alone says little.
 * Every case has a deadline; everything is stopped and dropped at the end.
 * Cases: 1 node with the in-process broker (PostgreSQL), 1 node with Redis, 2 nodes with Redis.
 */

import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import pg from "pg";
import WebSocket from "ws";
import { deleteKeysUnder } from "./lib/redis-keys.ts";
import { BENCH_LIMITS } from "./lib/servers.ts";

const arg = (name: string, fallback: number): number => {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? Number(process.argv[at + 1]) : fallback;
};
const MESSAGES = arg("messages", 3000);
const RECEIVERS = arg("receivers", 200);
const SENDERS = arg("senders", 10);
const ROUNDS = arg("rounds", 3);
const WINDOW = 20;
const CASE_DEADLINE_MS = 90_000;
const PG_ADMIN = process.env.PARLEY_TEST_PG ?? "postgres://postgres@127.0.0.1:5432/postgres";
const REDIS = process.env.PARLEY_TEST_REDIS ?? "redis://127.0.0.1:6379";
const ROOT = fileURLToPath(new URL("..", import.meta.url));
const ROOM = "bench";

interface Node {
  port: number;
  child: ChildProcess;
}

const startNode = (args: string[]): Promise<Node> =>
  new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", "src/cli.ts", "--host", "127.0.0.1", "--port", "0", "--ws-port", "0", ...args],
      { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], env: { PATH: process.env.PATH ?? "" } },
    );
    let out = "";
    const timer = setTimeout(() => reject(new Error(`node did not start: ${out}`)), 30_000);
    child.stdout?.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const match = /page on http:\/\/[^:]+:(\d+)\//.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve({ port: Number(match[1]), child });
      }
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.once("exit", (code) => reject(new Error(`node exited (${code}): ${out}`)));
  });

const stopNode = async (node: Node): Promise<void> => {
  if (node.child.exitCode !== null) return;
  const exited = new Promise((resolve) => node.child.once("exit", resolve));
  node.child.kill("SIGTERM");
  const timer = setTimeout(() => node.child.kill("SIGKILL"), 5000);
  await exited;
  clearTimeout(timer);
};

/** A client that counts message frames without parsing them (the bench must not be the bottleneck). */
class Client {
  count = 0;
  private readonly ws: WebSocket;
  private joined!: () => void;
  readonly ready = new Promise<void>((resolve) => {
    this.joined = resolve;
  });
  onFrame: ((text: string) => void) | undefined;

  constructor(port: number) {
    this.ws = new WebSocket(`ws://127.0.0.1:${port}/chat/${ROOM}`, "parley.v1");
    this.ws.on("message", (data: Buffer) => {
      if (data.includes('"type":"message"')) this.count++;
      else if (data.includes('"type":"joined"')) this.joined();
      this.onFrame?.(data.toString());
    });
    this.ws.on("close", (code) => {
      if (code !== 1000 && code !== 1005) process.stderr.write(`bench: a client was closed with ${code}\n`);
    });
  }

  send(frame: object): void {
    this.ws.send(JSON.stringify(frame));
  }

  close(): void {
    this.ws.close();
  }
}

interface Result {
  name: string;
  nodes: number;
  seconds: number;
  messagesPerSec: number;
  deliveriesPerSec: number;
  p50: number;
  p99: number;
}

const percentile = (values: number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
};

const runCase = async (name: string, nodeCount: number, redis: boolean, dbUrl: string): Promise<Result> => {
  const prefix = `parley-bench-${randomBytes(4).toString("hex")}:`;
  const args = ["--store", dbUrl, ...BENCH_LIMITS, ...(redis ? ["--redis", REDIS, "--redis-prefix", prefix] : [])];
  const nodes: Node[] = [];
  const clients: Client[] = [];
  try {
    for (let i = 0; i < nodeCount; i++) nodes.push(await startNode(args));
    const port = (i: number) => (nodes[i % nodeCount] as Node).port;
    const receivers = Array.from({ length: RECEIVERS }, (_, i) => new Client(port(i)));
    const senders = Array.from({ length: SENDERS }, (_, i) => new Client(port(i)));
    clients.push(...receivers, ...senders);
    await Promise.all(clients.map((c) => c.ready));

    // Latency: one receiver per node parses what it gets; the senders stamp their sends.
    const sentAt = new Map<string, number>();
    const latencies: number[] = [];
    for (const probe of receivers.slice(0, nodeCount)) {
      probe.onFrame = (text) => {
        const cid = /"text":"([^"]+)"/.exec(text)?.[1];
        const at = cid ? sentAt.get(cid) : undefined;
        if (at !== undefined) latencies.push(performance.now() - at);
      };
    }

    const perSender = Math.ceil(MESSAGES / SENDERS);
    const total = perSender * SENDERS;
    const started = performance.now();
    await Promise.all(
      senders.map(
        (sender, s) =>
          new Promise<void>((resolve) => {
            let sent = 0;
            let acked = 0;
            const pump = () => {
              while (sent < perSender && sent - acked < WINDOW) {
                const cid = `s${s}-${sent++}`;
                sentAt.set(cid, performance.now());
                sender.send({ type: "send", text: cid, cid });
              }
            };
            sender.onFrame = (text) => {
              if (!text.startsWith('{"type":"ack"')) return;
              acked++;
              if (acked === perSender) resolve();
              else pump();
            };
            pump();
          }),
      ),
    );
    const deadline = started + CASE_DEADLINE_MS;
    while (clients.some((c) => c.count < total)) {
      if (performance.now() > deadline) throw new Error(`${name}: not every client got every message in time`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const seconds = (performance.now() - started) / 1000;
    return {
      name,
      nodes: nodeCount,
      seconds,
      messagesPerSec: total / seconds,
      deliveriesPerSec: (total * clients.length) / seconds,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
    };
  } finally {
    for (const client of clients) client.close();
    for (const node of nodes) await stopNode(node);
    if (redis) await deleteKeysUnder(REDIS, prefix);
  }
};

const withDatabase = async <T>(work: (url: string) => Promise<T>): Promise<T> => {
  const name = `parley_bench_${process.pid}_${randomBytes(4).toString("hex")}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(PG_ADMIN);
  url.pathname = `/${name}`;
  try {
    return await work(url.toString());
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
};

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

const main = async (): Promise<void> => {
  const cases: Array<[string, number, boolean]> = [
    ["1 node, in-process broker", 1, false],
    ["1 node, Redis", 1, true],
    ["2 nodes, Redis", 2, true],
  ];
  const runs = new Map<string, Result[]>(cases.map(([name]) => [name, []]));
  for (let round = 1; round <= ROUNDS; round++) {
    for (const [name, nodes, redis] of cases) {
      const result = await withDatabase((url) => runCase(name, nodes, redis, url));
      runs.get(name)?.push(result);
      process.stderr.write(`bench: round ${round}, ${name}: ${Math.round(result.deliveriesPerSec)} deliveries/s\n`);
    }
  }
  const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
  console.log(
    `\n${MESSAGES} messages, ${SENDERS} senders, ${RECEIVERS} receivers, one room, PostgreSQL store, loopback; median of ${ROUNDS} rounds\n`,
  );
  console.log("| case | messages/s | deliveries/s (range) | latency p50 ms | p99 ms |");
  console.log("| --- | --- | --- | --- | --- |");
  const medians = new Map<string, number>();
  for (const [name, results] of runs) {
    const deliveries = results.map((r) => r.deliveriesPerSec);
    medians.set(name, median(deliveries));
    console.log(
      `| ${name} | ${fmt(median(results.map((r) => r.messagesPerSec)))} | ${fmt(median(deliveries))} (${fmt(Math.min(...deliveries))}–${fmt(Math.max(...deliveries))}) | ${median(results.map((r) => r.p50)).toFixed(1)} | ${median(results.map((r) => r.p99)).toFixed(1)} |`,
    );
  }
  const one = medians.get("1 node, in-process broker") ?? 0;
  const oneRedis = medians.get("1 node, Redis") ?? 0;
  const two = medians.get("2 nodes, Redis") ?? 0;
  console.log(
    `\n2 nodes vs 1 node (in-process broker): × ${(two / one).toFixed(2)}; vs 1 node on Redis: × ${(two / oneRedis).toFixed(2)}`,
  );
};

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
