import assert from "node:assert/strict";
import { test } from "node:test";
import { SmallMap, SmallSet } from "../../src/chat/small-collections.ts";

test("SmallSet behaves like a Set for a connection's rooms", () => {
  const rooms = new SmallSet<string>();
  assert.equal(rooms.size, 0);
  assert.equal(rooms.has("a"), false);
  rooms.add("a").add("b").add("a");
  assert.equal(rooms.size, 2);
  assert.deepEqual([...rooms], ["a", "b"]);
  rooms.add("c");
  // deleting while iterating visits every entry that was there, like a Set
  const seen: string[] = [];
  for (const room of rooms) {
    seen.push(room);
    rooms.delete(room);
  }
  assert.deepEqual(seen, ["a", "b", "c"]);
  assert.equal(rooms.size, 0);
  assert.equal(rooms.delete("a"), false);
  rooms.add("d");
  assert.equal(rooms.has("d"), true);
});

test("SmallMap behaves like a Map for a connection's subscriptions", () => {
  const subs = new SmallMap<string, number>();
  assert.equal(subs.get("a"), undefined);
  subs.set("a", 1).set("b", 2).set("a", 3);
  assert.equal(subs.size, 2);
  assert.equal(subs.get("a"), 3);
  assert.equal(subs.has("b"), true);
  assert.deepEqual(
    [...subs],
    [
      ["a", 3],
      ["b", 2],
    ],
  );
  assert.equal(subs.delete("a"), true);
  assert.equal(subs.delete("a"), false);
  assert.deepEqual([...subs], [["b", 2]]);
  subs.delete("b");
  assert.equal(subs.size, 0);
  subs.set("c", 4);
  subs.clear();
  assert.equal(subs.size, 0);
  assert.equal(subs.get("c"), undefined);
});
