import assert from "node:assert/strict";
import { test } from "node:test";
import { mentionAt, mentionsOf } from "../../src/client/mentions.ts";

test("a message names you with @nick as a whole name (any case), @room or @here; not inside a word or an address", () => {
  assert.equal(mentionsOf("@bob can you review?", "bob"), true);
  assert.equal(mentionsOf("thanks, @Bob!", "bob"), true);
  assert.equal(mentionsOf("@here standup", "bob"), true);
  assert.equal(mentionsOf("ping @room", "bob"), true);
  assert.equal(mentionsOf("@bobby can you review?", "bob"), false);
  assert.equal(mentionsOf("mail bob@example.com", "bob"), false);
  assert.equal(mentionsOf("bob, hi", "bob"), false);
  assert.equal(mentionsOf("@a.b is here", "a.b"), true, "a nick's dots are literal");
  assert.equal(mentionsOf("@axb is here", "a.b"), false);
});

test("the nick being typed after @ in the box, up to the caret", () => {
  assert.deepEqual(mentionAt("@", 1), { start: 0, prefix: "" });
  assert.deepEqual(mentionAt("hi @al", 6), { start: 3, prefix: "al" });
  assert.deepEqual(mentionAt("hi @al and more", 6), { start: 3, prefix: "al" });
  assert.equal(mentionAt("mail bob@ex", 11), undefined, "an address is not a mention");
  assert.equal(mentionAt("@al done", 8), undefined);
});
