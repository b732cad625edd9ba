// test-runner: alone (asserts departures announced within the sweep bound)
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { RunningParley } from "../../src/server.ts";
import { type JsonClient, joinedClient, startChildNode, startNodes } from "../helpers/cluster.ts";
import {
  createTestDatabase,
  postgresMissing,
  REDIS_URL,
  redisMissing,
  redisPrefix,
  skipReason,
  type TestDatabase,
} from "../helpers/engines.ts";

// The bound is made small here through the setting; the default is 10 s (announced within ~13 s).
const NODE_TIMEOUT_MS = 1200;

describe("cluster: a node killed with SIGKILL", async () => {
  const reason = await skipReason(postgresMissing, redisMissing);
  let db: TestDatabase;
  let keys: ReturnType<typeof redisPrefix>;
  let survivors: RunningParley[] = [];
  let doomed: Awaited<ReturnType<typeof startChildNode>> | undefined;
  const clients: JsonClient[] = [];

  before(async () => {
    if (reason) return;
    db = await createTestDatabase();
    keys = redisPrefix();
    const common = { store: db.url, redis: REDIS_URL, redisPrefix: keys.prefix, nodeTimeoutMs: NODE_TIMEOUT_MS };
    survivors = await startNodes(2, common);
    doomed = await startChildNode([
      "--store",
      db.url,
      "--redis",
      REDIS_URL,
      "--redis-prefix",
      keys.prefix,
      "--node-timeout-ms",
      String(NODE_TIMEOUT_MS),
    ]);
  });
  after(async () => {
    for (const client of clients) await client.close();
    await doomed?.stop();
    for (const node of survivors) await node.close();
    if (reason) return;
    await db.drop();
    await keys.clean();
  });

  test("its members are announced as left by the survivors within the bound, with no ghost left", {
    skip: reason,
  }, async () => {
    const room = "fragile";
    const open = async (port: number) => {
      const client = await joinedClient(port, room);
      clients.push(client);
      return client;
    };
    const [a, b] = [await open((survivors[0] as RunningParley).port), await open((survivors[1] as RunningParley).port)];
    const [c1, c2] = [await open(doomed?.port ?? 0), await open(doomed?.port ?? 0)];
    c1.send({ type: "nick", nick: "Ghost" });
    await a.take((e) => e.type === "presence" && e.action === "nick" && e.nick === "Ghost");
    const c2nick = c2.events().find((e) => e.type === "welcome")?.nick as string;
    const who = async (client: JsonClient) => {
      client.send({ type: "who", room });
      const snapshot = await client.take((e) => e.type === "presence" && e.action === "snapshot");
      return (snapshot.members as string[]).slice().sort();
    };
    assert.equal((await who(b)).length, 4);

    const killedAt = Date.now();
    await doomed?.stop(); // SIGKILL: no goodbye, no cleanup
    const bound = NODE_TIMEOUT_MS + NODE_TIMEOUT_MS / 3;
    for (const watcher of [a, b]) {
      const left = new Set<string>();
      while (left.size < 2) {
        const e = await watcher.take((x) => x.type === "presence" && x.action === "leave", bound + 5000);
        left.add(e.nick as string);
      }
      assert.deepEqual([...left].sort(), ["Ghost", c2nick].sort());
    }
    const took = Date.now() - killedAt;
    assert.ok(took < bound + 3000, `announced after ${took} ms; the bound is ${bound} ms plus scheduling`);
    const views = [await who(a), await who(b)];
    assert.equal(views[0]?.length, 2, "no ghost members");
    assert.deepEqual(views[1], views[0]);
    a.send({ type: "nick", nick: "ghost" });
    assert.equal(
      (await a.take((e) => e.type === "nick" || e.type === "error")).nick,
      "ghost",
      "its nicknames are free",
    );
  });
});
