import assert from "node:assert/strict";
import { test } from "node:test";
import { CidFilter } from "../../src/store/cid-filter.ts";

test("a cid filter knows every key it was given, and says 'certainly not' of nearly every other", () => {
  const filter = new CidFilter(50_000);
  for (let i = 0; i < 50_000; i++) filter.add(`room${i % 700}\u0000c-${i}`);
  for (let i = 0; i < 50_000; i++) assert.ok(filter.mightHave(`room${i % 700}\u0000c-${i}`), `key ${i}`);
  let maybes = 0;
  for (let i = 0; i < 50_000; i++) if (filter.mightHave(`room${i % 700}\u0000other-${i}`)) maybes++;
  assert.ok(maybes < 500, `${maybes} false 'maybe' answers of 50,000 (under 1% expected)`);
});
