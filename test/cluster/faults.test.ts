import assert from "node:assert/strict";
import { get } from "node:http";
import { after, before, describe, test } from "node:test";
import type { RunningParley } from "../../src/server.ts";
import { type JsonClient, joinedClient, range, startNodes, waitUntil } from "../helpers/cluster.ts";
import {
  CutProxy,
  createTestDatabase,
  OwnRedis,
  postgresMissing,
  redisPrefix,
  skipReason,
  sleep,
  type TestDatabase,
} from "../helpers/engines.ts";

const readyz = (port: number): Promise<number> =>
  new Promise((resolve, reject) => {
    get({ host: "127.0.0.1", port, path: "/readyz" }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    }).on("error", reject);
  });

// Two nodes on a redis-server of this test's own (restarted here; the shared one is never touched)
// and on PostgreSQL through a TCP proxy that the test cuts and restores (the shared server keeps running).
describe("cluster faults: Redis restarted, PostgreSQL cut off", async () => {
  let redis: OwnRedis | undefined;
  const reason = await skipReason(postgresMissing, async () => {
    try {
      redis = await OwnRedis.start();
      return null;
    } catch (error) {
      return `could not start a redis-server of the test's own (${String(error)})`;
    }
  });
  let db: TestDatabase;
  let proxy: CutProxy;
  let nodes: RunningParley[] = [];
  const clients: JsonClient[] = [];
  const open = async (node: number, room: string) => {
    const client = await joinedClient((nodes[node] as RunningParley).port, room);
    clients.push(client);
    return client;
  };

  before(async () => {
    if (reason) return;
    db = await createTestDatabase();
    proxy = await CutProxy.start(Number(new URL(db.url).port || 5432));
    nodes = await startNodes(2, {
      store: db.urlVia(proxy.port),
      redis: (redis as OwnRedis).url,
      redisPrefix: redisPrefix().prefix,
    });
  });
  after(async () => {
    for (const client of clients) await client.close();
    for (const node of nodes) await node.close();
    await redis?.stop();
    if (reason) return;
    await proxy.close();
    await db.drop();
  });

  test("Redis restarted mid-stream: nodes come back by themselves and every client gets every message, in order", {
    skip: reason,
  }, async () => {
    const room = "storm";
    const receivers = [await open(0, room), await open(1, room)];
    const senders = [await open(0, room), await open(1, room)];
    const perSender = 150;
    const sending = senders.map(async (sender, s) => {
      for (const n of range(1, perSender)) {
        sender.send({ type: "send", text: `s${s}-${n}`, cid: `s${s}-${n}` });
        await sleep(4);
      }
      for (const n of range(1, perSender)) await sender.take((e) => e.type === "ack" && e.cid === `s${s}-${n}`, 30_000);
    });
    await waitUntil(() => receivers.every((r) => r.seqs(room).length >= 40), "stream started");
    await redis?.stop();
    await sleep(400);
    await redis?.start();
    await Promise.all(sending);
    const total = senders.length * perSender;
    const everyone = [...receivers, ...senders];
    await waitUntil(
      () => everyone.every((c) => c.seqs(room).length >= total),
      `all ${total} messages everywhere`,
      30_000,
    );
    for (const client of everyone) assert.deepEqual(client.seqs(room), range(1, total));
    const order = nodes.map((n) => n.service.order.stats);
    assert.ok(
      order.some((s) => s.filledMessages > 0),
      "some messages came from the store, not from Redis",
    );
    for (const node of nodes) assert.ok(node.engines.broker.stats().reconnects >= 1, "the reconnect is counted");
    assert.equal(await readyz((nodes[0] as RunningParley).port), 200);
  });

  test("PostgreSQL cut off: sends get store_unavailable, nothing acked is lost, service resumes", {
    skip: reason,
  }, async () => {
    const room = "outage";
    const [sender, watcher] = [await open(0, room), await open(1, room)];
    for (const n of range(1, 10)) sender.send({ type: "send", text: `ok-${n}`, cid: `ok-${n}` });
    for (const n of range(1, 10)) await sender.take((e) => e.type === "ack" && e.cid === `ok-${n}`);

    proxy.cut();
    for (const n of range(1, 5)) sender.send({ type: "send", text: `down-${n}`, cid: `down-${n}` });
    const refused = [];
    for (const n of range(1, 5)) {
      refused.push(await sender.take((e) => (e.type === "error" || e.type === "ack") && e.cid === `down-${n}`));
    }
    for (const event of refused) {
      assert.equal(event.type, "error");
      assert.equal(event.code, "store_unavailable");
      assert.equal(event.room, room);
    }
    assert.equal(await readyz((nodes[0] as RunningParley).port), 503, "not ready without its store");

    proxy.restore();
    for (const n of range(1, 5)) sender.send({ type: "send", text: `down-${n}`, cid: `down-${n}` });
    for (const n of range(1, 5)) await sender.take((e) => e.type === "ack" && e.cid === `down-${n}`, 15_000);
    assert.equal(await readyz((nodes[0] as RunningParley).port), 200);

    await waitUntil(() => watcher.seqs(room).length >= 15, "15 messages on the other node");
    assert.deepEqual(watcher.seqs(room), range(1, 15), "no gap, no repeat on the other node");
    assert.deepEqual(sender.seqs(room), range(1, 15));
    const texts = watcher
      .events()
      .filter((e) => e.type === "message")
      .map((e) => e.text);
    assert.deepEqual(texts, [...range(1, 10).map((n) => `ok-${n}`), ...range(1, 5).map((n) => `down-${n}`)]);
  });
});
