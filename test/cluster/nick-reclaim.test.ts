// test-runner: alone (asserts the name back within 1.5 s of a kill)
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { ParleyClient } from "parley-client";
import WebSocket from "ws";
import { CLOSE } from "../../src/protocol/close-codes.ts";
import type { RunningParley } from "../../src/server.ts";
import { jsonClient, startChildNode, startNodes, waitUntil } from "../helpers/cluster.ts";
import {
  createTestDatabase,
  postgresMissing,
  REDIS_URL,
  redisMissing,
  redisPrefix,
  skipReason,
  type TestDatabase,
} from "../helpers/engines.ts";
import { sdkClient, stateReached } from "../helpers/sdk.ts";

// Shorter than the default 10 s so the test can also wait out the sweep of the dead node's ghosts
// (within ≈ 4/3 of this) and check it announces no leave for a name taken back.
const NODE_TIMEOUT_MS = 3000;

describe("cluster: a node killed with SIGKILL does not cost a client its nickname", async () => {
  const reason = await skipReason(postgresMissing, redisMissing);
  let db: TestDatabase;
  let keys: ReturnType<typeof redisPrefix>;
  let survivors: RunningParley[] = [];
  let doomed: Awaited<ReturnType<typeof startChildNode>> | undefined;
  const closables: Array<{ close(): Promise<void> }> = [];

  before(async () => {
    if (reason) return;
    db = await createTestDatabase();
    keys = redisPrefix();
    const common = { store: db.url, redis: REDIS_URL, redisPrefix: keys.prefix, nodeTimeoutMs: NODE_TIMEOUT_MS };
    survivors = await startNodes(2, common);
    doomed = await startChildNode([
      ...["--store", db.url, "--redis", REDIS_URL, "--redis-prefix", keys.prefix],
      ...["--node-timeout-ms", String(NODE_TIMEOUT_MS)],
    ]);
  });
  after(async () => {
    for (const client of closables) await client.close();
    await doomed?.stop();
    for (const node of survivors) await node.close();
    if (reason) return;
    await db.drop();
    await keys.clean();
  });

  test("the SDK client reconnects to another node with its name at once; a thief with a wrong key does not get a name", {
    skip: reason,
  }, async () => {
    const room = "crash";
    const [a, b] = survivors as [RunningParley, RunningParley];
    const doomedPort = doomed?.port ?? 0;
    // A load balancer, as the client sees it: the first dial reaches the doomed node, later ones the survivors.
    let dials = 0;
    class Balanced extends WebSocket {
      constructor(url: string, protocols: string[]) {
        const port = dials++ === 0 ? doomedPort : [a.port, b.port][dials % 2];
        super(url.replace(/:\d+\//, `:${port}/`), protocols);
      }
    }
    const client: ParleyClient = sdkClient(`ws://127.0.0.1:${doomedPort}/chat`, { WebSocket: Balanced });
    closables.push(client);
    const chat = client.join(room);
    await stateReached(client, "connected");
    await client.setNick("frank");
    // Another client on the doomed node, raw, to try its name with a wrong key after the crash.
    const gina = await jsonClient(doomedPort, room);
    closables.push(gina);
    await gina.take((e) => e.type === "joined");
    gina.send({ type: "nick", nick: "gina" });
    await gina.take((e) => e.type === "nick");
    const watcher = await jsonClient(a.port, room);
    closables.push(watcher);
    await watcher.take((e) => e.type === "joined");
    const nicks: string[] = [];
    client.on("nick", ({ nick }) => nicks.push(nick));

    const mark = watcher.events().length;
    const killedAt = Date.now();
    await doomed?.stop(); // SIGKILL: its claims on "frank" and "gina" stay in Redis until the sweep
    const ack = await chat.send("back after the crash");
    const backAfter = Date.now() - killedAt;
    assert.equal(client.nick, "frank");
    assert.deepEqual(nicks, [], "no interim user-N, not even for a moment");
    const seen = await watcher.take((e) => e.type === "message" && e.seq === ack.seq);
    assert.equal(seen.nick, "frank", "the room sees the message under the same name");
    assert.ok(backAfter < 1500, `name back and message acked ${backAfter} ms after the kill`);
    console.log(`# reconnected to another node with the name back, message acked: ${backAfter} ms after SIGKILL`);

    // A different client, with a wrong key (or none), gets no special treatment while the ghost holds "gina".
    const thief = await jsonClient(b.port, `${room}-thief`);
    closables.push(thief);
    await thief.take((e) => e.type === "welcome");
    for (const frame of [{ reconnectKey: "not-gina's" }, {}]) {
      thief.send({ type: "nick", nick: "gina", ...frame });
      assert.equal((await thief.take((e) => e.type === "error" || e.type === "nick")).code, "nick_taken");
    }
    // Past the sweep of the dead node: "gina" is announced as left, "frank" never left.
    const leaves = () =>
      watcher
        .events()
        .slice(mark)
        .filter((e) => e.type === "presence" && e.action === "leave")
        .map((e) => e.nick);
    await waitUntil(() => leaves().includes("gina"), "the ghost of gina swept", NODE_TIMEOUT_MS * 3);
    assert.deepEqual(leaves(), ["gina"], "only the client that did not come back left");
    watcher.send({ type: "who", room });
    const snapshot = await watcher.take((e) => e.type === "presence" && e.action === "snapshot");
    assert.equal((snapshot.members as string[]).filter((m) => m === "frank").length, 1);
    assert.equal(client.nick, "frank");
  });

  test("a client whose old connection is half-open on another live node takes its name over there; that node drops it", {
    skip: reason,
  }, async () => {
    const [a, b] = survivors as [RunningParley, RunningParley];
    const old = await jsonClient(a.port, "halfopen");
    closables.push(old);
    const key = (await old.take((e) => e.type === "welcome")).reconnectKey as string;
    old.send({ type: "nick", nick: "hana" });
    await old.take((e) => e.type === "nick");
    const fresh = await jsonClient(b.port, "halfopen");
    closables.push(fresh);
    await fresh.take((e) => e.type === "joined");
    fresh.send({ type: "nick", nick: "hana", reconnectKey: "a guess" });
    assert.equal((await fresh.take((e) => e.type === "error")).code, "nick_taken");
    fresh.send({ type: "nick", nick: "hana", reconnectKey: key });
    assert.equal((await fresh.take((e) => e.type === "nick" || e.type === "error")).nick, "hana");
    const closed = await old.raw.closed;
    assert.deepEqual(closed, { code: CLOSE.normal, reason: "replaced by your new connection" });
    // Held on node b, the name is held by its look on node a too.
    const spoofer = await jsonClient(a.port, "halfopen");
    closables.push(spoofer);
    await spoofer.take((e) => e.type === "joined");
    for (const lookalike of ["h\u0430na", "HANA"]) {
      spoofer.send({ type: "nick", nick: lookalike });
      assert.equal((await spoofer.take((e) => e.type === "error")).code, "nick_taken", lookalike);
    }
  });
});
