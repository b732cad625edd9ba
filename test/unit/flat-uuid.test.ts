import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import { flatUuid } from "../../src/chat/flat-uuid.ts";
import { RUN_SOURCES } from "../helpers/lines.ts";

const ROOT = new URL("../..", import.meta.url).pathname;

/** Heap bytes that each of 20,000 ids made by `make` (an expression over the imports) keeps, measured in a child with --expose-gc. */
const bytesPerId = (make: string): number => {
  const script = `
    import { randomUUID } from "node:crypto";
    import { flatUuid } from "./src/chat/flat-uuid.ts";
    import { storedMessage } from "./src/store/history-store.ts";
    const kept = new Array(20000).fill("");
    gc(); gc();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < kept.length; i++) kept[i] = ${make};
    gc(); gc();
    console.log((process.memoryUsage().heapUsed - before) / kept.length, kept.length);`;
  const child = spawnSync(process.execPath, ["--expose-gc", ...RUN_SOURCES, "--input-type=module", "-e", script], {
    cwd: ROOT,
    encoding: "utf8",
  });
  assert.equal(child.status, 0, child.stderr);
  return Number(child.stdout.split(" ")[0]);
};

test("flatUuid makes distinct version-4 UUIDs", () => {
  const ids = Array.from({ length: 1000 }, flatUuid);
  for (const id of ids) assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.equal(new Set(ids).size, ids.length);
});

test("a kept message id costs a flat string's bytes, not randomUUID's rope", () => {
  const rope = bytesPerId("randomUUID()");
  const flat = bytesPerId("flatUuid()");
  const stored = bytesPerId('storedMessage({ room: "r", nick: "n", text: "t", ts: 1 }, i).id');
  // A flat 36-character string is 56 bytes on the heap; the rope is hundreds.
  assert.ok(rope > 300, `randomUUID keeps ${rope} bytes`);
  assert.ok(flat < 80, `flatUuid keeps ${flat} bytes`);
  assert.ok(stored < 80, `a stored message's id keeps ${stored} bytes`);
});
