import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import type { RunningParley } from "../../src/server.ts";
import { ADMIN_TOKEN, call, createEndpoint, createKey } from "../helpers/api.ts";
import { clusterFixture } from "../helpers/cluster.ts";
import { postgresMissing, redisMissing, skipReason } from "../helpers/engines.ts";
import { WebhookReceiver } from "../helpers/webhook-receiver.ts";

/** Two nodes on one PostgreSQL and Redis: each event reaches each endpoint once, not once per node. */
describe("cluster: webhooks on PostgreSQL and Redis", async () => {
  const reason = await skipReason(postgresMissing, redisMissing);
  const { nodes } = clusterFixture(2, reason, { adminToken: ADMIN_TOKEN });
  const receivers: WebhookReceiver[] = [];
  after(async () => {
    for (const r of receivers) await r.close();
  });

  test("messages published on both nodes reach each endpoint once; a node leaving hands its endpoints on", {
    skip: reason,
  }, async () => {
    const [a, b] = nodes as [RunningParley, RunningParley];
    const first = await WebhookReceiver.start();
    const second = await WebhookReceiver.start();
    receivers.push(first, second);
    const key = (await createKey(a.port, { name: "ci", rooms: ["*"], rights: ["publish"] })).secret;
    first.secret = (await createEndpoint(a.port, { url: first.url, rooms: ["*"] })).secret;
    second.secret = (await createEndpoint(b.port, { url: second.url, rooms: ["deploys"] })).secret;
    const publish = async (node: RunningParley, room: string, text: string) => {
      const answer = await call(node.port, "POST", `/api/v1/rooms/${room}/messages`, { auth: key, body: { text } });
      assert.equal(answer.status, 201, JSON.stringify(answer.body));
    };
    for (let i = 1; i <= 40; i++) await publish(i % 2 ? a : b, i % 4 === 0 ? "lobby" : "deploys", `m${i}`);
    await first.until((r) => r.events.length === 40, 15_000);
    await second.until((r) => r.events.length === 30, 15_000);
    // Quiet for a few polls of both nodes: nothing arrives twice.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    assert.equal(first.attempts.length, 40, "one attempt per event, not one per node");
    assert.equal(second.attempts.length, 30);
    assert.deepEqual(
      first.events.filter((e) => e.room === "deploys").map((e) => e.seq),
      Array.from({ length: 30 }, (_, i) => i + 1),
    );
    // Both nodes' figures together count each delivery once.
    const figures = async (node: RunningParley) =>
      (await call(node.port, "GET", "/admin/api/webhooks", { auth: ADMIN_TOKEN })).body.endpoints as Array<{
        figures: { delivered: number };
      }>;
    const [onA, onB] = [await figures(a), await figures(b)];
    assert.equal(onA.length, 2);
    assert.equal((onA[0]?.figures.delivered ?? 0) + (onB[0]?.figures.delivered ?? 0), 40);

    // A node that shuts down frees its leases: the other delivers what comes next.
    await a.close();
    for (let i = 41; i <= 50; i++) await publish(b, "deploys", `m${i}`);
    await first.until((r) => r.events.length === 50, 15_000);
    await second.until((r) => r.events.length === 40, 15_000);
    assert.equal(first.attempts.length, 50);
  });
});
