import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import Database from "better-sqlite3";
import type { ChangeRequest } from "../../src/chat/message.ts";
import { parseSearchQuery } from "../../src/chat/search-query.ts";
import { SqliteStore } from "../../src/store/sqlite.ts";
import { SqliteSearch } from "../../src/store/sqlite-search.ts";
import { tempDir } from "../helpers/parley.ts";

// The writer commits each batch with the search triggers and the change's new state in its
// transaction: what an ack promises must already be true of search and of `rooms.last_seq`.
test("once acked: a message is found, an edit finds it by its new text only, a delete not at all; rooms.last_seq is the room's last seq", async () => {
  const file = join(tempDir(), "durable-search.db");
  const store = new SqliteStore({ file, retention: { maxAgeMs: 0, maxMessagesPerRoom: 0 }, synchronous: "full" });
  const search = new SqliteSearch(file, undefined, undefined, () => store.searchCaughtUp());
  const found = async (words: string) =>
    (
      await search.search({ terms: parseSearchQuery(words), scope: { except: [] }, order: "newest", limit: 10 })
    ).hits.map((h) => h.message.text);
  const say = (text: string, change?: ChangeRequest) =>
    store.append({ room: "r", nick: "ann", owner: "ann", text, ts: Date.now(), change });
  const lastSeqSeenByWebhooks = () => {
    const other = new Database(file, { readonly: true });
    try {
      return other.prepare<[string], { last_seq: number }>("SELECT last_seq FROM rooms WHERE room = ?").get("r")
        ?.last_seq;
    } finally {
      other.close();
    }
  };

  const first = await say("the zebra crossing");
  assert.deepEqual(await found("zebra"), ["the zebra crossing"]);
  // Two changes of one message in one batch: the second starts from the first's state.
  const [edit, react] = await Promise.all([
    say("", { kind: "edit", target: first.message.seq, text: "the giraffe crossing" }),
    say("", { kind: "react", target: first.message.seq, emoji: "👍" }),
  ]);
  assert.equal(edit.refused, undefined);
  assert.equal(react.refused, undefined);
  assert.equal(react.message.change?.target.text, "the giraffe crossing");
  assert.deepEqual(await found("zebra"), []);
  assert.deepEqual(await found("giraffe"), ["the giraffe crossing"]);
  assert.equal(lastSeqSeenByWebhooks(), react.message.seq);

  const gone = await say("", { kind: "delete", target: first.message.seq });
  assert.equal(gone.refused, undefined);
  assert.deepEqual(await found("giraffe"), []);
  assert.equal(lastSeqSeenByWebhooks(), gone.message.seq);
  assert.deepEqual(await store.bounds("r"), { first: 1, last: gone.message.seq });

  await search.close();
  await store.close();
});

// The writer indexes new rows a batch at a time: rows in several rooms, one edited and one deleted
// before they were indexed, two already indexed by the index's own migration.
test("rows indexed in a batch: found newest first, an edit made before indexing by its new text, a delete never; nothing twice after a reopen", async () => {
  const file = join(tempDir(), "batch-index.db");
  const open = () => {
    const store = new SqliteStore({ file, retention: { maxAgeMs: 0, maxMessagesPerRoom: 0 }, synchronous: "full" });
    return { store, search: new SqliteSearch(file, undefined, undefined, () => store.searchCaughtUp()) };
  };
  const say = (store: SqliteStore, room: string, text: string, change?: ChangeRequest) =>
    store.append({ room, nick: "ann", owner: "ann", text, ts: Date.now(), change });
  const found = async (search: SqliteSearch, words: string) =>
    (
      await search.search({ terms: parseSearchQuery(words), scope: { except: [] }, order: "newest", limit: 10 })
    ).hits.map((h) => `${h.message.room}: ${h.message.text}`);

  const before = new SqliteStore({ file, retention: { maxAgeMs: 0, maxMessagesPerRoom: 0 }, synchronous: "full" });
  await say(before, "a", "alpha one common");
  await say(before, "b", "beta two common");
  await before.close(); // the index does not exist yet: its migration indexes these two

  let { store, search } = open();
  const third = await say(store, "a", "alpha three common");
  const [fourth] = await Promise.all([say(store, "b", "gamma four common"), say(store, "c", "epsilon five common")]);
  await say(store, "a", "", { kind: "edit", target: third.message.seq, text: "delta three common" });
  assert.equal(await store.delete("b", (fourth as { message: { seq: number } }).message.seq), true);
  assert.deepEqual(await found(search, "common"), [
    "c: epsilon five common",
    "a: delta three common",
    "b: beta two common",
    "a: alpha one common",
  ]);
  assert.deepEqual(await found(search, "alpha"), ["a: alpha one common"]);
  assert.deepEqual(await found(search, "gamma"), []);
  await search.close();
  await store.close();

  ({ store, search } = open());
  await say(store, "c", "zeta six common");
  assert.equal((await found(search, "common")).length, 5);
  const marks = new Database(file, { readonly: true });
  try {
    assert.deepEqual(marks.prepare("SELECT room, indexed_seq FROM rooms ORDER BY room").raw().all(), [
      ["a", 3],
      ["b", 2],
      ["c", 2],
    ]);
  } finally {
    marks.close();
  }
  await search.close();
  await store.close();
});
