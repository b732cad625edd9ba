/**
 * Checks that the example really works: starts three nodes and nginx with nginx.conf (its ports
 * moved to free ones, so it cannot collide with anything running), connects six JSON clients
 * through nginx, and checks that they landed on several nodes and all see every message in order.
 *   DATABASE_URL=postgres://… REDIS_URL=redis://… node --import tsx examples/cluster/check.ts
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import WebSocket from "ws";

const here = fileURLToPath(new URL(".", import.meta.url));
const root = fileURLToPath(new URL("../..", import.meta.url));
const database = process.env.DATABASE_URL;
const redis = process.env.REDIS_URL;
if (!database || !redis) throw new Error("set DATABASE_URL and REDIS_URL");

const freePort = (): Promise<number> =>
  new Promise((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

const children: ChildProcess[] = [];
const run = (cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess => {
  const child = spawn(cmd, args, {
    cwd: root,
    stdio: ["ignore", "ignore", "inherit"],
    env: { ...process.env, ...env },
  });
  children.push(child);
  return child;
};

const waitReady = async (port: number): Promise<void> => {
  for (let i = 0; i < 200; i++) {
    const ok = await fetch(`http://127.0.0.1:${port}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`port ${port} not ready`);
};

const main = async (): Promise<void> => {
  const front = await freePort();
  const ports = [await freePort(), await freePort(), await freePort()];
  const prefix = join(mkdtempSync(join(tmpdir(), "parley-nginx-")), "/");
  let conf = readFileSync(join(here, "nginx.conf"), "utf8").replace("listen 8080;", `listen 127.0.0.1:${front};`);
  for (const [i, port] of ports.entries()) conf = conf.replace(`127.0.0.1:808${i + 1}`, `127.0.0.1:${port}`);
  writeFileSync(join(prefix, "nginx.conf"), conf);

  const redisPrefix = `parley-example-${process.pid}:`;
  for (const port of ports) {
    run(
      process.execPath,
      ["--import", "tsx", "src/cli.ts", "--host", "127.0.0.1", "--port", String(port), "--ws-port", "0"],
      {
        PARLEY_REDIS_PREFIX: redisPrefix,
      },
    );
  }
  for (const port of ports) await waitReady(port);
  run("nginx", ["-p", prefix, "-c", join(prefix, "nginx.conf")]);
  await waitReady(front);

  const room = `nginx-${process.pid}`;
  const seen: number[][] = [];
  const nodes = new Set<string>();
  const sockets: WebSocket[] = [];
  for (let i = 0; i < 6; i++) {
    const ws = new WebSocket(`ws://127.0.0.1:${front}/chat/${room}`, "parley.v1");
    const seqs: number[] = [];
    seen.push(seqs);
    ws.on("upgrade", (res) => nodes.add(String(res.headers["x-parley-node"])));
    const joined = new Promise<void>((resolve) =>
      ws.on("message", (data: Buffer) => {
        const event = JSON.parse(data.toString()) as { type: string; seq?: number };
        if (event.type === "joined") resolve();
        if (event.type === "message") seqs.push(event.seq as number);
      }),
    );
    await joined;
    sockets.push(ws);
  }
  for (const [i, ws] of sockets.entries())
    ws.send(JSON.stringify({ type: "send", text: `hello from ${i}`, cid: `c${i}` }));
  const until = Date.now() + 10_000;
  while (seen.some((s) => s.length < 6) && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
  for (const ws of sockets) ws.close();
  const orders = new Set(seen.map((s) => s.join(",")));
  console.log(`clients landed on ${nodes.size} nodes: ${[...nodes].join(" ")}`);
  console.log(`every client saw: ${[...orders].join(" | ")}`);
  if (nodes.size < 2 || orders.size !== 1 || seen[0]?.length !== 6) throw new Error("the example does not work");
  console.log("ok: nginx proxies WebSockets to all nodes; one order everywhere");
};

main()
  .catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(() => {
    for (const child of children) child.kill("SIGTERM");
  });
