import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { RunningParley } from "../../src/server.ts";
import { ADMIN_TOKEN, call, createKey } from "../helpers/api.ts";
import { clusterFixture } from "../helpers/cluster.ts";
import { postgresMissing, redisMissing, skipReason } from "../helpers/engines.ts";

/** --api-rate is one budget per key across the cluster (Redis), not one per node. */
describe("cluster: API rate limits shared through Redis", async () => {
  const reason = await skipReason(postgresMissing, redisMissing);
  const { nodes } = clusterFixture(2, reason, { adminToken: ADMIN_TOKEN, apiRate: 1, apiBurst: 4 });

  test("a key's burst is spent on either node; past it both answer 429 with Retry-After; another key has its own", {
    skip: reason,
  }, async () => {
    const [a, b] = nodes as [RunningParley, RunningParley];
    const key = (await createKey(a.port, { name: "ci", rooms: ["*"], rights: ["read"] })).secret;
    const other = (await createKey(a.port, { name: "bot", rooms: ["*"], rights: ["read"] })).secret;
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 8; i++) {
      const answer = await call((i % 2 ? b : a).port, "GET", "/api/v1/rooms", { auth: key });
      statuses.push(answer.status);
      if (answer.status === 429) {
        retryAfter = answer.headers.get("retry-after");
        assert.equal(answer.body.code, "rate_limited");
      }
    }
    // One token comes back per second: at most one more than the burst in the time this took.
    const passed = statuses.filter((s) => s === 200).length;
    assert.ok(passed >= 4 && passed <= 5, `statuses: ${statuses}`);
    assert.deepEqual(statuses.slice(0, 4), [200, 200, 200, 200]);
    assert.equal(retryAfter, "1");
    assert.equal((await call(b.port, "GET", "/api/v1/rooms", { auth: other })).status, 200);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    assert.equal((await call(b.port, "GET", "/api/v1/rooms", { auth: key })).status, 200, "refilled");
  });
});
