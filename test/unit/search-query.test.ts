import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ParleyError } from "../../src/chat/errors.ts";
import { MARK_CLOSE, MARK_OPEN, marksOf, parseSearchQuery } from "../../src/chat/search-query.ts";
import { websearchQuery } from "../../src/store/postgres-search.ts";
import { fts5Query } from "../../src/store/sqlite-search.ts";

describe("search query", () => {
  test("words, phrases and exclusions; punctuation separates words; no operator reaches a store", () => {
    const terms = parseSearchQuery(`deploy "new  release" -staging -"dry run" AND NEAR(x) col:y don't`);
    assert.deepEqual(terms.clauses, [
      { words: ["deploy"], negated: false },
      { words: ["new", "release"], negated: false },
      { words: ["staging"], negated: true },
      { words: ["dry", "run"], negated: true },
      { words: ["AND"], negated: false },
      { words: ["NEAR", "x"], negated: false },
      { words: ["col", "y"], negated: false },
      { words: ["don", "t"], negated: false },
    ]);
    // Every clause is a quoted phrase for FTS5 and websearch_to_tsquery: AND, NEAR, col: are words.
    assert.equal(
      fts5Query(parseSearchQuery('a "b c" -d'), "lobby"),
      'text : (("a" AND "b c") NOT "d") AND room_tag : "r6C6F626279"',
    );
    assert.equal(websearchQuery(parseSearchQuery('or "b c" -d')), '"or" "b c" -"d"');
  });

  test("refused with a reason: nothing to look for, too long, too many clauses", () => {
    for (const raw of ["", "   ", "-only -not", '""', "!!!", "x".repeat(257), "a ".repeat(17)]) {
      assert.throws(
        () => parseSearchQuery(raw),
        (e: unknown) => e instanceof ParleyError && e.code === "bad_request",
        raw,
      );
    }
  });

  test("marks: ranges into the original text, in UTF-16 units; none when the store changed the text", () => {
    const text = "😀 Café au lait";
    const marked = `😀 ${MARK_OPEN}Café${MARK_CLOSE} au ${MARK_OPEN}lait${MARK_CLOSE}`;
    const marks = marksOf(marked, text);
    assert.deepEqual(
      marks.map(([s, e]) => text.slice(s, e)),
      ["Café", "lait"],
    );
    assert.deepEqual(marksOf(`${MARK_OPEN}Cafe${MARK_CLOSE}`, "Café"), []);
  });
});
