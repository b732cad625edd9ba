import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { RunningParley } from "../../src/server.ts";
import { ADMIN_TOKEN, call, createKey, SseReader } from "../helpers/api.ts";
import { clusterFixture } from "../helpers/cluster.ts";
import { postgresMissing, redisMissing, skipReason } from "../helpers/engines.ts";

/** Keys live in PostgreSQL (every node knows each); a stream on one node hears what another node published. */
describe("cluster: the HTTP API on PostgreSQL and Redis", async () => {
  const reason = await skipReason(postgresMissing, redisMissing);
  const { nodes } = clusterFixture(2, reason, { adminToken: ADMIN_TOKEN });

  test("a key made on node A publishes on A and streams on B, exactly once each; revoked on A, refused on B", {
    skip: reason,
  }, async () => {
    const [a, b] = nodes as [RunningParley, RunningParley];
    const made = await createKey(a.port, { name: "ci", rooms: ["deploys"], rights: ["publish", "read"] });
    const auth = { Authorization: `Bearer ${made.secret}` };
    const stream = await SseReader.open(`http://127.0.0.1:${b.port}/api/v1/rooms/deploys/events?since=0`, auth);
    assert.equal(stream.response.status, 200);
    await stream.until((r) => r.events.some((e) => e.event === "presence"));
    for (let i = 1; i <= 20; i++) {
      const node = i % 2 === 0 ? a : b;
      const answer = await call(node.port, "POST", "/api/v1/rooms/deploys/messages", {
        auth: made.secret,
        body: { text: `m${i}` },
        headers: { "Idempotency-Key": `k${i}` },
      });
      assert.equal(answer.status, 201);
    }
    // A retry on the other node is the same message.
    const retry = await call(a.port, "POST", "/api/v1/rooms/deploys/messages", {
      auth: made.secret,
      body: { text: "m1" },
      headers: { "Idempotency-Key": "k1" },
    });
    assert.equal(retry.status, 200);
    assert.equal(retry.body.message.seq, 1);
    await stream.until((r) => r.messages().length === 20, 10_000);
    assert.deepEqual(
      stream.messages().map((m) => m.seq),
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
    const rooms = await call(b.port, "GET", "/api/v1/rooms", { auth: made.secret });
    assert.deepEqual(rooms.body.rooms, ["deploys"]);
    assert.equal((await call(a.port, "DELETE", `/admin/api/keys/${made.id}`, { auth: ADMIN_TOKEN })).status, 200);
    assert.equal((await call(b.port, "GET", "/api/v1/rooms", { auth: made.secret })).status, 401);
    stream.close();
  });
});
