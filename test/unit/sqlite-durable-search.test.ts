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
