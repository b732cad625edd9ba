import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { connect as tcpConnect } from "node:net";
import { tmpdir } from "node:os";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import WebSocket from "ws";
import { waitUntil } from "../helpers/cluster.ts";
import {
  createTestDatabase,
  freePort,
  postgresMissing,
  REDIS_URL,
  redisMissing,
  redisPrefix,
  skipReason,
  type TestDatabase,
} from "../helpers/engines.ts";

// The README's cluster recipe, run as a user runs it: examples/cluster/run.sh from another directory, on
// free ports, then chat through nginx while one node is killed.
const script = fileURLToPath(new URL("../../examples/cluster/run.sh", import.meta.url));

const nginxMissing = async (): Promise<string | null> =>
  spawnSync("nginx", ["-v"]).error ? "nginx is not installed (Debian: apt-get install nginx)" : null;

interface Chatter {
  node: string;
  texts: string[];
  closed: Promise<void>;
  send(text: string): void;
}

/** A JSON client through nginx, joined to `room`; `node` is the upstream nginx chose (X-Parley-Node). */
const chatter = (port: number, room: string): Promise<Chatter> =>
  new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/chat/${room}`, "parley.v1");
    let node = "";
    const texts: string[] = [];
    const closed = new Promise<void>((done) => ws.on("close", () => done()));
    ws.on("upgrade", (res) => {
      node = String(res.headers["x-parley-node"]);
    });
    ws.on("error", reject);
    ws.on("message", (data: Buffer) => {
      const event = JSON.parse(data.toString()) as { type: string; text?: string };
      if (event.type === "message") texts.push(event.text as string);
      if (event.type === "joined") resolve({ node, texts, closed, send });
    });
    const send = (text: string) => ws.send(JSON.stringify({ type: "send", text, cid: text }));
  });

const refused = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = tcpConnect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(false);
    });
    socket.once("error", () => resolve(true));
  });

/** True while any process of the process group `id` is alive. */
const groupAlive = (id: number): boolean => {
  try {
    process.kill(-id, 0);
    return true;
  } catch {
    return false;
  }
};

describe("examples/cluster/run.sh: the cluster recipe", async () => {
  const reason = await skipReason(postgresMissing, redisMissing, nginxMissing);
  let db: TestDatabase;
  let keys: ReturnType<typeof redisPrefix>;
  let recipe: ChildProcess | undefined;
  let output = "";
  let exited: Promise<number | string>;
  const chatters: Chatter[] = [];

  before(async () => {
    if (reason) return;
    db = await createTestDatabase();
    keys = redisPrefix();
  });
  after(async () => {
    // Whatever a failed test left behind goes with the script's process group.
    if (recipe?.pid && groupAlive(recipe.pid)) process.kill(-recipe.pid, "SIGKILL");
    if (reason) return;
    await db.drop();
    await keys.clean();
  });

  test("nginx waits for the nodes, chat goes on through nginx when a node dies, and TERM leaves nothing running", {
    skip: reason,
    timeout: 120_000,
  }, async () => {
    const front = await freePort();
    const nodePorts = [await freePort(), await freePort(), await freePort()];
    recipe = spawn("bash", [script], {
      cwd: tmpdir(), // not the checkout: the script finds its own files
      detached: true, // its own process group, so "nothing left" can be asked of the group
      stdio: ["ignore", "pipe", "pipe"],
      env: {
        ...process.env,
        DATABASE_URL: db.url,
        REDIS_URL,
        PARLEY_REDIS_PREFIX: keys.prefix,
        PARLEY_CLUSTER_PORT: String(front),
        PARLEY_CLUSTER_NODE_PORTS: nodePorts.join(" "),
      },
    });
    const child = recipe;
    exited = new Promise((done) => child.on("exit", (code, signal) => done(code ?? signal ?? -1)));
    child.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    await waitUntil(() => output.includes("Parley cluster:") || child.exitCode !== null, "the cluster up", 90_000);
    assert.equal(child.exitCode, null, output);

    // nginx was started after every node answered: its very first request is served, not a 502.
    const first = await fetch(`http://127.0.0.1:${front}/readyz`);
    assert.equal(first.status, 200);

    const room = `recipe-${process.pid}`;
    for (let i = 0; i < 6; i++) chatters.push(await chatter(front, room));
    const nodes = new Set(chatters.map((c) => c.node));
    assert.ok(nodes.size >= 2, `clients landed on ${[...nodes].join(" ")}`);
    for (const [i, c] of chatters.entries()) c.send(`before ${i}`);
    await waitUntil(
      () => chatters.every((c) => c.texts.length === 6),
      "every message before the kill to everyone",
    ).catch((error: Error) => {
      throw new Error(`${error.message}: ${JSON.stringify(chatters.map((c) => [c.node, c.texts]))}\n${output}`);
    });
    assert.equal(new Set(chatters.map((c) => c.texts.join("|"))).size, 1, "one order everywhere");

    // Kill (SIGKILL, a crash) the node the first client is on.
    const victim = chatters[0]?.node as string;
    const victimPort = Number(victim.split(":")[1]);
    const pid = Number(new RegExp(`node on 127\\.0\\.0\\.1:${victimPort}: pid (\\d+)`).exec(output)?.[1]);
    assert.ok(pid > 0, output);
    process.kill(pid, "SIGKILL");
    const orphans = chatters.filter((c) => c.node === victim);
    const survivors = chatters.filter((c) => c.node !== victim);
    await Promise.all(orphans.map((c) => c.closed));
    await waitUntil(() => output.includes(`the node on port ${victimPort}`), "the script reports the dead node");
    assert.match(output, /the others keep serving/);
    assert.equal(child.exitCode, null, `the script is still running:\n${output}`);

    // New clients through nginx (the orphans coming back, and more) land on the living nodes and chat.
    const comers: Chatter[] = [];
    for (let i = 0; i < orphans.length + 3; i++) comers.push(await chatter(front, room));
    for (const c of comers) assert.notEqual(c.node.split(", ").at(-1), victim, "served by a living node");
    comers[0]?.send("after the kill");
    for (const c of [...survivors, ...comers])
      await waitUntil(() => c.texts.includes("after the kill"), "the message after the kill to everyone");

    // TERM stops the whole recipe: the script ends, and so does every process it started.
    process.kill(child.pid as number, "SIGTERM");
    assert.equal(await exited, 143, output);
    await waitUntil(() => !groupAlive(child.pid as number), "no process of the recipe left", 5_000);
    for (const port of [front, ...nodePorts]) assert.ok(await refused(port), `port ${port} is closed`);
  });
});
