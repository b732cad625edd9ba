import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { ChatMessage } from "../../src/chat/message.ts";
import type { HistoryStore, Retention } from "../../src/store/history-store.ts";
import { conversationStoreSuite } from "./conversation-store-suite.ts";

const NO_RETENTION: Retention = { maxMessagesPerRoom: 0, maxAgeMs: 0 };
const DAY = 24 * 60 * 60 * 1000;

/** One kind of store as the suite sees it. */
export interface StoreSubject {
  name: string;
  /** Why the suite cannot run here (loudly), or false. */
  skip?: () => Promise<string | false>;
  /** Fresh, empty storage for one test; `open` gives a store on it (again after `close`: the same data). */
  fresh(): Promise<{ open(retention?: Retention): Promise<HistoryStore>; cleanup(): Promise<void> }>;
  /** Data survives close and reopen. */
  durable: boolean;
  /** Several stores may be open on the same data at once (several nodes). */
  shared: boolean;
}

const say = (store: HistoryStore, room: string, text: string, extra: { cid?: string; ts?: number } = {}) =>
  store.append({ room, nick: "ann", text, ts: extra.ts ?? Date.now(), cid: extra.cid });

const seqs = (messages: readonly ChatMessage[]) => messages.map((m) => m.seq);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

const eventually = async (probe: () => Promise<boolean>, what: string, ms = 3000): Promise<void> => {
  const until = Date.now() + ms;
  while (!(await probe())) {
    if (Date.now() > until) assert.fail(`not within ${ms} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
};

/**
 * The HistoryStore contract, run against every implementation (Centrifuge-style shared suite):
 * seq 1..n per room with no gap under concurrent appends, idempotent (room, cid), reads,
 * bounds and deletes, retention, and seq continuing after a reopen.
 */
export const storeSuite = (subject: StoreSubject): void => {
  describe(`HistoryStore contract: ${subject.name}`, async () => {
    const reason = (await subject.skip?.()) ?? false;
    let storage: Awaited<ReturnType<StoreSubject["fresh"]>>;
    const open: HistoryStore[] = [];
    const openStore = async (retention: Retention = NO_RETENTION) => {
      const store = await storage.open(retention);
      open.push(store);
      return store;
    };
    const closeAll = async () => {
      for (const store of open.splice(0)) await store.close();
    };

    before(async () => {
      if (!reason) storage = await subject.fresh();
    });
    after(async () => {
      await closeAll();
      if (!reason) await storage.cleanup();
    });

    test("concurrent appends get seq 1..n per room, no gap, no reuse, in each writer's order", {
      skip: reason,
    }, async () => {
      const writers = subject.shared ? [await openStore(), await openStore()] : [await openStore()];
      const results = await Promise.all(
        range(1, 300).map((i) => {
          const writer = writers[i % writers.length] as HistoryStore;
          return say(writer, i % 3 === 0 ? "order-b" : "order-a", `m${i}`).then((r) => ({ i, writer, r }));
        }),
      );
      for (const room of ["order-a", "order-b"]) {
        const mine = results.filter((x) => x.r.message.room === room);
        assert.deepEqual(
          mine.map((x) => x.r.message.seq).sort((a, b) => a - b),
          range(1, mine.length),
          `${room}: seqs are 1..n`,
        );
        for (const writer of writers) {
          const own = mine.filter((x) => x.writer === writer).map((x) => x.r.message.seq);
          assert.deepEqual(
            own,
            [...own].sort((a, b) => a - b),
            "one writer's appends keep their order",
          );
        }
        const stored = await (writers[0] as HistoryStore).after(room, 0, 1000);
        assert.deepEqual(seqs(stored), range(1, mine.length));
        const bySeq = new Map(mine.map((x) => [x.r.message.seq, x.r.message.text]));
        for (const m of stored) assert.equal(m.text, bySeq.get(m.seq), `seq ${m.seq} holds what was acked`);
      }
      await closeAll();
    });

    test("the same (room, cid) is one message, from any writer, in one turn or later", { skip: reason }, async () => {
      const a = await openStore();
      const b = subject.shared ? await openStore() : a;
      const [first, again] = await Promise.all([
        say(a, "idem", "hello", { cid: "c1" }),
        say(b, "idem", "hello", { cid: "c1" }),
      ]);
      assert.equal(first.message.seq, again.message.seq);
      assert.equal(first.message.id, again.message.id);
      assert.deepEqual([first.duplicate, again.duplicate].sort(), [false, true]);
      const later = await say(b, "idem", "hello", { cid: "c1" });
      assert.equal(later.duplicate, true);
      assert.equal(later.message.id, first.message.id);
      const other = await say(a, "idem-2", "hello", { cid: "c1" });
      assert.equal(other.duplicate, false, "a cid is per room");
      const next = await say(a, "idem", "next");
      assert.equal(next.message.seq, 2, "a duplicate takes no seq");
      await closeAll();
    });

    test("a (room, cid) reused with another text is a conflict: nothing stored, the first message kept", {
      skip: reason,
    }, async () => {
      const a = await openStore();
      const b = subject.shared ? await openStore() : a;
      const first = await say(a, "reuse", "the first text", { cid: "k1" });
      assert.deepEqual([first.duplicate, first.conflict], [false, false]);
      const reused = await say(b, "reuse", "another text", { cid: "k1" });
      assert.deepEqual([reused.duplicate, reused.conflict], [true, true]);
      assert.equal(reused.message.id, first.message.id, "the conflict names the stored message");
      assert.equal(reused.message.text, "the first text");
      const repeat = await say(b, "reuse", "the first text", { cid: "k1" });
      assert.deepEqual([repeat.duplicate, repeat.conflict], [true, false], "the exact repeat is still a duplicate");
      // Within one batch (one turn) too: the first of the two is stored, the second conflicts.
      const [one, two] = await Promise.all([
        say(a, "reuse", "same turn A", { cid: "k2" }),
        say(a, "reuse", "same turn B", { cid: "k2" }),
      ]);
      assert.deepEqual([one.conflict, two.conflict, two.message.id], [false, true, one.message.id]);
      const elsewhere = await say(a, "reuse-2", "another text", { cid: "k1" });
      assert.deepEqual([elsewhere.duplicate, elsewhere.conflict], [false, false], "a cid is per room");
      assert.deepEqual(
        (await a.after("reuse", 0, 10)).map((m) => m.text),
        ["the first text", "same turn A"],
        "nothing of the conflicting appends was stored",
      );
      await closeAll();
    });

    test("after, before, latest, bounds and delete", { skip: reason }, async () => {
      const store = await openStore();
      assert.deepEqual(await store.bounds("reads"), { first: 0, last: 0 });
      assert.deepEqual(await store.latest("reads", 5), []);
      for (const i of range(1, 10)) await say(store, "reads", `r${i}`);
      assert.deepEqual(seqs(await store.after("reads", 3, 4)), [4, 5, 6, 7]);
      assert.deepEqual(seqs(await store.before("reads", 5, 2)), [3, 4]);
      assert.deepEqual(seqs(await store.latest("reads", 3)), [8, 9, 10]);
      assert.deepEqual(await store.bounds("reads"), { first: 1, last: 10 });
      assert.equal(await store.delete("reads", 5), true);
      assert.equal(await store.delete("reads", 5), false);
      assert.deepEqual(seqs(await store.after("reads", 4, 2)), [6, 7]);
      assert.equal(await store.delete("reads", 10), true);
      assert.deepEqual(await store.bounds("reads"), { first: 1, last: 10 }, "last counts deleted seqs");
      assert.equal((await say(store, "reads", "r11")).message.seq, 11, "a deleted seq is never reused");
      await store.ping();
      await store.probeWrite();
      assert.deepEqual(seqs(await store.after("reads", 0, 100)).length, 9, "a probe write is not history");
      await closeAll();
    });

    test("a page is found with pageStart and read forward in parts bounded by rows and bytes", {
      skip: reason,
    }, async () => {
      const store = await openStore();
      assert.equal(await store.pageStart("parts", 100, 5), 0, "an empty room has no page");
      const big = "é".repeat(5000); // 10,000 bytes in UTF-8: the budget counts bytes, not characters
      for (const i of range(1, 12)) await say(store, "parts", i % 4 === 0 ? big : `p${i}`);
      assert.equal(await store.delete("parts", 6), true);
      const end = Number.MAX_SAFE_INTEGER;
      assert.equal(await store.pageStart("parts", end, 5), 8, "the newest 5: 8 to 12");
      assert.equal(await store.pageStart("parts", 8, 3), 4, "below 8: 4 5 7 (6 is deleted)");
      assert.equal(await store.pageStart("parts", 8, 100), 1, "fewer than asked: from the oldest");
      assert.equal(await store.pageStart("parts", 1, 5), 0);
      assert.equal(await store.pageStart("parts", end, 0), 0);
      // Small rows fit many to a part; a big row ends the part it does not fit in, and goes first in the next.
      assert.deepEqual(seqs(await store.part("parts", 0, end, 100, 5000)), [1, 2, 3]);
      assert.deepEqual(seqs(await store.part("parts", 3, end, 100, 5000)), [4], "one row over the budget still goes");
      assert.deepEqual(seqs(await store.part("parts", 4, end, 100, 5000)), [5, 7], "6 is deleted; 8 does not fit");
      assert.deepEqual(seqs(await store.part("parts", 4, end, 2, 1_000_000)), [5, 7], "at most `limit` rows");
      assert.deepEqual(seqs(await store.part("parts", 4, 8, 100, 1_000_000)), [5, 7], "below `until` only");
      assert.deepEqual(seqs(await store.part("parts", 12, end, 100, 1_000_000)), []);
      const texts = (await store.part("parts", 3, 5, 10, 100)).map((m) => m.text);
      assert.deepEqual(texts, [big], "rows come whole");
      await closeAll();
    });

    test("retention keeps the newest N per room, and drops what is too old", { skip: reason }, async () => {
      const store = await openStore({ maxMessagesPerRoom: 10, maxAgeMs: 0 });
      for (const i of range(1, 30)) await say(store, "keep", `k${i}`);
      await eventually(async () => (await store.latest("keep", 100)).length === 10, "only 10 kept");
      assert.deepEqual(seqs(await store.latest("keep", 100)), range(21, 30));
      assert.deepEqual(await store.bounds("keep"), { first: 21, last: 30 });
      await closeAll();

      const old = Date.now() - 2 * DAY;
      let aged = await openStore({ maxMessagesPerRoom: 0, maxAgeMs: DAY });
      for (const i of range(1, 3)) await say(aged, "aged", `old${i}`, { ts: old + i });
      for (const i of range(4, 5)) await say(aged, "aged", `new${i}`);
      if (subject.durable) {
        await closeAll();
        aged = await openStore({ maxMessagesPerRoom: 0, maxAgeMs: DAY });
      }
      const store2 = aged;
      await eventually(async () => (await store2.latest("aged", 10)).length === 2, "old messages dropped");
      assert.deepEqual(seqs(await store2.latest("aged", 10)), [4, 5]);
      assert.equal((await store2.bounds("aged")).last, 5);
      await closeAll();
    });

    const durable = subject.durable ? test : () => {};
    durable("seq and idempotency continue after a reopen", { skip: reason }, async () => {
      let store = await openStore();
      for (const i of range(1, 3)) await say(store, "reopen", `x${i}`, { cid: `x${i}` });
      await closeAll();
      store = await openStore();
      assert.equal((await say(store, "reopen", "x4")).message.seq, 4);
      const repeat = await say(store, "reopen", "x2", { cid: "x2" });
      assert.deepEqual([repeat.duplicate, repeat.message.seq], [true, 2]);
      assert.deepEqual(seqs(await store.after("reopen", 0, 10)), [1, 2, 3, 4]);
      await closeAll();
    });

    conversationStoreSuite({ ...subject, reason, openStore: () => openStore(), closeAll });
  });
};
