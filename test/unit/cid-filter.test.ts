import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { CidFilter } from "../../src/store/cid-filter.ts";
import { SqliteStore } from "../../src/store/sqlite.ts";
import { tempDir } from "../helpers/parley.ts";

test("a cid filter knows every key it was given, and says 'certainly not' of nearly every other", () => {
  const filter = new CidFilter(50_000);
  for (let i = 0; i < 50_000; i++) filter.add(`room${i % 700}\u0000c-${i}`);
  for (let i = 0; i < 50_000; i++) assert.ok(filter.mightHave(`room${i % 700}\u0000c-${i}`), `key ${i}`);
  let maybes = 0;
  for (let i = 0; i < 50_000; i++) if (filter.mightHave(`room${i % 700}\u0000other-${i}`)) maybes++;
  assert.ok(maybes < 500, `${maybes} false 'maybe' answers of 50,000 (under 1% expected)`);
});

test("reopened on a file of many cids, the SQLite store finds a repeat of any of them, while and after it reads them in", async () => {
  const file = join(tempDir(), "cids.db");
  const open = () =>
    new SqliteStore({ file, retention: { maxAgeMs: 0, maxMessagesPerRoom: 0 }, synchronous: "normal" });
  const say = (store: SqliteStore, i: number, text = `m${i}`) =>
    store.append({ room: `r${i % 3}`, nick: "n", text, ts: i, cid: `c${i}` });
  const first = open();
  for (let i = 0; i < 10_000; i += 500) await Promise.all(Array.from({ length: 500 }, (_, k) => say(first, i + k)));
  await first.close();

  const again = open();
  const early = await say(again, 9_999); // before the cids are read in: asked of the index
  assert.equal(early.duplicate, true);
  await new Promise((done) => setTimeout(done, 300)); // the cids read in, a slice per turn
  for (const i of [0, 4_100, 8_300, 9_998]) {
    const repeat = await say(again, i);
    assert.deepEqual([repeat.duplicate, repeat.message.text], [true, `m${i}`], `cid c${i}`);
  }
  assert.equal((await say(again, 4_200, "another text")).conflict, true);
  const fresh = await say(again, 10_000);
  assert.equal(fresh.duplicate, false);
  assert.equal((await again.bounds("r1")).last, 3_334);
  await again.close();
});
