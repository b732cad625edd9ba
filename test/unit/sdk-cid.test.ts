import assert from "node:assert/strict";
import { test } from "node:test";
import { newCid } from "parley-client";

test("a new cid is 32 hex digits, unique, and later ones sort after earlier ones (the server's (room, cid) index fills at its end)", async () => {
  const before = Date.now();
  const first = Array.from({ length: 10_000 }, newCid);
  const after = Date.now();
  for (const cid of first) assert.match(cid, /^[0-9a-f]{32}$/);
  assert.equal(new Set(first).size, first.length);
  const stamped = Number.parseInt((first[0] as string).slice(0, 12), 16);
  assert.ok(stamped >= before && stamped <= after, `time ${stamped} not within ${before}..${after}`);
  await new Promise((done) => setTimeout(done, 5));
  const later = newCid();
  for (const cid of first) assert.ok(cid < later, `${cid} should sort before ${later}`);
});
