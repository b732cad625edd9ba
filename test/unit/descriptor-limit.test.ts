import assert from "node:assert/strict";
import { test } from "node:test";
import { connectionCap, DESCRIPTOR_RESERVE, parseOpenFilesLimit } from "../../src/transport/descriptor-limit.ts";

const LIMITS = `Limit                     Soft Limit           Hard Limit           Units
Max processes             63439                63439                processes
Max open files            1024                 524288               files
Max locked memory         8388608              8388608              bytes
`;

test("the limit is read from /proc/self/limits' 'Max open files' line", () => {
  assert.deepEqual(parseOpenFilesLimit(LIMITS), { soft: 1024, hard: 524288 });
  assert.deepEqual(parseOpenFilesLimit(LIMITS.replace("524288 ", "unlimited")), {
    soft: 1024,
    hard: Number.POSITIVE_INFINITY,
  });
  assert.equal(parseOpenFilesLimit("nothing here"), null);
});

test("the connection cap fits the limit, less the reserve; a cap that fits is kept", () => {
  const limit = { soft: 1024, hard: 524288 };
  assert.deepEqual(connectionCap(10_000, limit), { cap: 1024 - DESCRIPTOR_RESERVE, lowered: true });
  assert.deepEqual(connectionCap(0, limit), { cap: 1024 - DESCRIPTOR_RESERVE, lowered: true }, "no cap: the limit's");
  assert.deepEqual(connectionCap(500, limit), { cap: 500, lowered: false });
  assert.deepEqual(connectionCap(10_000, { soft: 20_000, hard: 20_000 }), { cap: 10_000, lowered: false });
  assert.deepEqual(connectionCap(10_000, null), { cap: 10_000, lowered: false }, "no /proc: as configured");
  assert.deepEqual(connectionCap(10, { soft: 64, hard: 64 }), { cap: 1, lowered: true }, "never below one");
});
