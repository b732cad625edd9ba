import assert from "node:assert/strict";
import { test } from "node:test";
import { GroupCommit } from "../../src/store/group-commit.ts";

const nextTurn = () => new Promise((done) => setImmediate(done));

/** A commit the test finishes by hand: each call records its batch and waits to be answered. */
const heldCommits = () => {
  const batches: number[][] = [];
  const answers: { resolve: (results: string[]) => void; reject: (error: Error) => void }[] = [];
  const commit = (batch: readonly number[]) =>
    new Promise<string[]>((resolve, reject) => {
      batches.push([...batch]);
      answers.push({ resolve, reject });
    });
  return { batches, answers, commit };
};

test("what is added in one turn is one batch, and each caller gets its own result", async () => {
  const batches: number[][] = [];
  const group = new GroupCommit<number, string>((batch) => {
    batches.push([...batch]);
    return batch.map((n) => `r${n}`);
  });
  const results = await Promise.all([group.add(1), group.add(2), group.add(3)]);
  assert.deepEqual(results, ["r1", "r2", "r3"]);
  assert.deepEqual(batches, [[1, 2, 3]]);
});

test("one commit at a time: what arrives during a commit, over several turns, goes as the next batch", async () => {
  const held = heldCommits();
  const group = new GroupCommit<number, string>(held.commit);
  const first = group.add(1);
  await nextTurn();
  assert.deepEqual(held.batches, [[1]]);
  const later = [group.add(2)];
  await nextTurn();
  later.push(group.add(3));
  await nextTurn();
  assert.deepEqual(held.batches, [[1]], "no second commit while the first runs");
  assert.equal(group.busy, true);
  held.answers[0]?.resolve(["r1"]);
  assert.equal(await first, "r1");
  await nextTurn();
  assert.deepEqual(held.batches, [[1], [2, 3]]);
  held.answers[1]?.resolve(["r2", "r3"]);
  assert.deepEqual(await Promise.all(later), ["r2", "r3"]);
  await group.idle();
  assert.equal(group.busy, false);
});

test("a failed commit rejects its whole batch and no other; the next batch is committed afresh", async () => {
  const held = heldCommits();
  const group = new GroupCommit<number, string>(held.commit);
  const failing = Promise.allSettled([group.add(1), group.add(2)]);
  await nextTurn();
  const next = group.add(3);
  held.answers[0]?.reject(new Error("disk full"));
  assert.deepEqual(
    (await failing).map((o) => (o.status === "rejected" ? (o.reason as Error).message : o.value)),
    ["disk full", "disk full"],
  );
  await nextTurn();
  held.answers[1]?.resolve(["r3"]);
  assert.equal(await next, "r3");
});

test("a commit that throws at once, or answers the wrong count, rejects its batch", async () => {
  const throwing = new GroupCommit<number, string>(() => {
    throw new Error("no such table");
  });
  await assert.rejects(throwing.add(1), /no such table/);
  const short = new GroupCommit<number, string>(() => ["only one"]);
  const outcomes = await Promise.allSettled([short.add(1), short.add(2)]);
  assert.deepEqual(
    outcomes.map((o) => o.status),
    ["rejected", "rejected"],
  );
});

test("flush starts the waiting batch now; idle waits for it and for the commit running", async () => {
  const held = heldCommits();
  const group = new GroupCommit<number, string>(held.commit);
  const pending = group.add(1);
  group.flush();
  assert.deepEqual(held.batches, [[1]], "committed without waiting for the turn to end");
  let idle = false;
  const idleDone = group.idle().then(() => {
    idle = true;
  });
  await nextTurn();
  assert.equal(idle, false);
  held.answers[0]?.resolve(["r1"]);
  await idleDone;
  assert.equal(await pending, "r1");
});
