import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, test } from "node:test";
import { SqliteStore } from "../../src/store/sqlite.ts";
import { tempDir } from "../helpers/parley.ts";

const DAY = 24 * 60 * 60 * 1000;
const open = (file: string, maxAgeMs = 0, maxMessagesPerRoom = 0) =>
  new SqliteStore({ file, retention: { maxAgeMs, maxMessagesPerRoom }, synchronous: "normal" });

describe("SqliteStore (a real file)", () => {
  test("appends of one turn share a commit, get seq 1..n in call order, and survive reopening", async () => {
    const file = join(tempDir(), "h.db");
    const store = open(file);
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => store.append({ room: "r", nick: "n", text: `t${i}`, ts: i })),
    );
    assert.deepEqual(
      results.map((r) => r.message.seq),
      [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
    );
    await store.close();
    const again = open(file);
    assert.deepEqual(await again.bounds("r"), { first: 1, last: 10 });
    assert.equal((await again.append({ room: "r", nick: "n", text: "more", ts: 11 })).message.seq, 11);
    assert.deepEqual(
      (await again.before("r", 4, 2)).map((m) => m.text),
      ["t1", "t2"],
    );
    await again.close();
  });

  test("age retention drops old messages on open but never reuses their seq", async () => {
    const file = join(tempDir(), "age.db");
    const store = open(file);
    const now = Date.now();
    await store.append({ room: "r", nick: "n", text: "old", ts: now - 3 * DAY });
    await store.append({ room: "r", nick: "n", text: "new", ts: now });
    await store.close();
    const pruned = open(file, DAY);
    assert.deepEqual(
      (await pruned.latest("r", 10)).map((m) => m.text),
      ["new"],
    );
    assert.deepEqual(await pruned.bounds("r"), { first: 2, last: 2 });
    assert.equal((await pruned.append({ room: "r", nick: "n", text: "x", ts: now })).message.seq, 3);
    await pruned.close();
  });

  test("count retention keeps the newest messages; an emptied room keeps its last seq", async () => {
    const store = open(join(tempDir(), "count.db"), 0, 10);
    for (let i = 0; i < 25; i++) await store.append({ room: "r", nick: "n", text: `m${i}`, ts: i });
    const bounds = await store.bounds("r");
    assert.equal(bounds.last, 25);
    assert.ok(bounds.first >= 15 && bounds.first <= 16, `first ${bounds.first}`);
    assert.ok(await store.delete("r", 25));
    assert.equal(await store.delete("r", 25), false);
    assert.equal((await store.append({ room: "r", nick: "n", text: "z", ts: 30 })).message.seq, 26);
    await store.close();
  });
});
