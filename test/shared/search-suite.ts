import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { parseSearchQuery } from "../../src/chat/search-query.ts";
import type { HistoryStore } from "../../src/store/history-store.ts";
import { BadCursor, type SearchIndex, type SearchPage, type SearchRequest } from "../../src/store/search.ts";

/** One engine as the search suite sees it. */
export interface SearchSubject {
  name: string;
  skip?: () => Promise<string | false>;
  /** Fresh storage: the history store, and (opened after what was appended before, like a migration) its search. */
  fresh(): Promise<{
    store: HistoryStore;
    openSearch(): Promise<SearchIndex>;
    /** Changes a stored message's text as an edit will (an UPDATE of the row). */
    edit(room: string, seq: number, text: string): Promise<void>;
    cleanup(): Promise<void>;
  }>;
}

const DAY = 24 * 60 * 60 * 1000;
const T0 = Date.UTC(2026, 0, 1);

const ask = (index: SearchIndex, query: string, extra: Partial<SearchRequest> = {}): Promise<SearchPage> =>
  index.search({ terms: parseSearchQuery(query), scope: { except: [] }, order: "newest", limit: 50, ...extra });

const texts = (page: SearchPage) => page.hits.map((h) => h.message.text);
/** The marked words, as a reader sees them. */
const marked = (page: SearchPage) =>
  page.hits.map((h) => h.marks.map(([start, end]) => h.message.text.slice(start, end)));

/**
 * What a search finds, the same on every engine: words and phrases whatever the case and accents,
 * filters, rooms out of scope never seen, newest first and ranked, paging, deletes and edits,
 * rows stored before the index existed, and what non-Latin scripts give.
 */
export const searchSuite = (subject: SearchSubject): void => {
  describe(`SearchIndex: ${subject.name}`, async () => {
    const reason = (await subject.skip?.()) ?? false;
    let storage: Awaited<ReturnType<SearchSubject["fresh"]>>;
    let index: SearchIndex;

    before(async () => {
      if (reason) return;
      storage = await subject.fresh();
      const { store } = storage;
      const say = (room: string, nick: string, text: string, day: number) =>
        store.append({ room, nick, text, ts: T0 + day * DAY });
      // Appended before the index is opened: a migration must index them.
      await say("lobby", "ann", "The Café opens at nine", 0);
      await say("lobby", "bob", "deploy the new release tonight", 1);
      await say("lobby", "ann", "deploy deploy deploy", 2);
      await say("dev", "Carol", "a naïve résumé parser", 3);
      await say("secret", "dave", "the deploy password is swordfish", 4);
      await say("dev", "bob", "we should deploy the new version of the server today, maybe later", 5);
      await say("lobby", "erin", "東京 タワー", 6);
      await say("lobby", "erin", "今日は東京に行きました", 7);
      await say("lobby", "erin", "我们明天去北京。", 8);
      index = await storage.openSearch();
    });
    after(async () => {
      if (reason) return;
      await index.close();
      await storage.store.close();
      await storage.cleanup();
    });

    test("words are found whatever the case and accents, and the matching words are marked", {
      skip: reason,
    }, async () => {
      const cafe = await ask(index, "CAFE");
      assert.deepEqual(texts(cafe), ["The Café opens at nine"]);
      assert.deepEqual(marked(cafe), [["Café"]]);
      const resume = await ask(index, "naive resume");
      assert.deepEqual(texts(resume), ["a naïve résumé parser"]);
      assert.deepEqual(marked(resume), [["naïve", "résumé"]]);
    });

    test("a phrase matches its words in order; -word leaves messages out", { skip: reason }, async () => {
      assert.deepEqual(texts(await ask(index, '"new release"')), ["deploy the new release tonight"]);
      assert.deepEqual(texts(await ask(index, '"release new"')), []);
      assert.deepEqual(texts(await ask(index, "deploy -server -release -password")), ["deploy deploy deploy"]);
    });

    test("newest first, and filters by room, sender and dates", { skip: reason }, async () => {
      assert.deepEqual(
        (await ask(index, "deploy")).hits.map((h) => h.message.ts),
        [5, 4, 2, 1].map((d) => T0 + d * DAY),
      );
      assert.deepEqual(texts(await ask(index, "deploy", { room: "dev" })), [
        "we should deploy the new version of the server today, maybe later",
      ]);
      assert.deepEqual(texts(await ask(index, "deploy", { nick: "BOB" })).length, 2);
      assert.deepEqual(texts(await ask(index, "deploy", { since: T0 + DAY, until: T0 + 3 * DAY })), [
        "deploy deploy deploy",
        "deploy the new release tonight",
      ]);
    });

    test("rooms outside the scope never appear, even when asked for by name", { skip: reason }, async () => {
      const open = await ask(index, "deploy password", { scope: { except: ["secret"] } });
      assert.deepEqual(open, { hits: [], next: null, truncated: false });
      assert.deepEqual((await ask(index, "swordfish", { scope: { except: ["secret"] }, room: "secret" })).hits, []);
      const only = await ask(index, "deploy", { scope: { only: ["dev"] } });
      assert.deepEqual(
        only.hits.map((h) => h.message.room),
        ["dev"],
      );
      assert.equal((await ask(index, "swordfish")).hits[0]?.message.room, "secret");
    });

    test("ranked: the message most about the words comes first", { skip: reason }, async () => {
      const ranked = await ask(index, "deploy", { order: "rank" });
      assert.equal(ranked.hits.length, 4);
      assert.equal(ranked.hits[0]?.message.text, "deploy deploy deploy");
      assert.deepEqual(marked({ ...ranked, hits: ranked.hits.slice(0, 1) }), [["deploy", "deploy", "deploy"]]);
    });

    test("pages follow the cursor to the end, each message once, in both orders", { skip: reason }, async () => {
      for (const order of ["newest", "rank"] as const) {
        const seen: string[] = [];
        let cursor: string | undefined;
        for (let pages = 0; pages < 10; pages++) {
          const page = await ask(index, "deploy", { order, limit: 1, cursor });
          seen.push(...page.hits.map((h) => `${h.message.room}/${h.message.seq}`));
          if (page.next === null) break;
          cursor = page.next;
        }
        assert.equal(seen.length, 4, order);
        assert.equal(new Set(seen).size, 4, order);
      }
      await assert.rejects(ask(index, "deploy", { cursor: "not-a-cursor" }), BadCursor);
    });

    test("a deleted message is gone; an edited one is found by its new text only", { skip: reason }, async () => {
      const release = (await ask(index, "release")).hits[0]?.message;
      assert.ok(release);
      await storage.store.delete(release.room, release.seq);
      assert.deepEqual((await ask(index, "release")).hits, []);
      const cafe = (await ask(index, "cafe")).hits[0]?.message;
      assert.ok(cafe);
      await storage.edit(cafe.room, cafe.seq, "The bakery opens at ten");
      assert.deepEqual((await ask(index, "cafe")).hits, []);
      assert.deepEqual(marked(await ask(index, "bakery")), [["bakery"]]);
    });

    test("messages appended after the index opened are found at once", { skip: reason }, async () => {
      await storage.store.append({ room: "lobby", nick: "ann", text: "fresh kumquats", ts: T0 + 9 * DAY });
      assert.deepEqual(texts(await ask(index, "kumquats")), ["fresh kumquats"]);
    });

    test("Chinese and Japanese: words between spaces or punctuation are found, not a word inside a run", {
      skip: reason,
    }, async () => {
      assert.deepEqual(texts(await ask(index, "東京")), ["東京 タワー"]);
      assert.deepEqual(texts(await ask(index, "今日は東京に行きました")), ["今日は東京に行きました"]);
      assert.deepEqual(texts(await ask(index, "我们明天去北京")), ["我们明天去北京。"]);
      assert.deepEqual(texts(await ask(index, "北京")), []); // inside a run: see README, Search
    });
  });
};
