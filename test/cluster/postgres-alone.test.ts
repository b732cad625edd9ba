import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { RunningParley } from "../../src/server.ts";
import { joinedClient, range } from "../helpers/cluster.ts";
import { createTestDatabase, postgresMissing, skipReason, type TestDatabase } from "../helpers/engines.ts";
import { startTestParley } from "../helpers/parley.ts";

describe("PostgreSQL alone: one node, shared durable history, in-process fan-out", async () => {
  const reason = await skipReason(postgresMissing);
  let db: TestDatabase;
  const running: RunningParley[] = [];
  before(async () => {
    if (!reason) db = await createTestDatabase();
  });
  after(async () => {
    for (const node of running) await node.close();
    if (!reason) await db.drop();
  });

  test("history and seq outlive the node; a new node on the same database goes on from there", {
    skip: reason,
  }, async () => {
    const first = await startTestParley({ store: db.url });
    running.push(first);
    const a = await joinedClient(first.port, "kept");
    for (const n of range(1, 3)) a.send({ type: "send", text: `m${n}`, cid: `m${n}` });
    for (const n of range(1, 3)) await a.take((e) => e.type === "ack" && e.cid === `m${n}`);
    assert.deepEqual(a.seqs("kept"), [1, 2, 3]);
    await a.close();
    await first.close();

    const second = await startTestParley({ store: db.url });
    running.push(second);
    const b = await joinedClient(second.port, "kept");
    const history = b.events().find((e) => e.type === "history");
    assert.deepEqual(
      ((history?.messages ?? []) as Array<{ text: string }>).map((m) => m.text),
      ["m1", "m2", "m3"],
    );
    b.send({ type: "send", text: "m4", cid: "m4" });
    assert.equal((await b.take((e) => e.type === "ack")).seq, 4);
    b.send({ type: "send", text: "m2", cid: "m2" });
    const repeat = await b.take((e) => e.type === "ack");
    assert.deepEqual([repeat.seq, repeat.duplicate], [2, true]);
    await b.close();
  });
});
