import assert from "node:assert/strict";
import { test } from "node:test";
import { deferFrame, holdFrames, MAX_HELD_FRAMES, releaseFrames } from "../../src/service/held-frames.ts";
import type { Session } from "../../src/service/session.ts";

const session = (): Session => ({ inbox: undefined }) as unknown as Session;

test("frames wait in order while held, and a rename among them holds the rest again", () => {
  const s = session();
  const ran: string[] = [];
  assert.equal(
    deferFrame(s, () => ran.push("x")),
    "run now",
  );
  holdFrames(s);
  deferFrame(s, () => ran.push("a"));
  deferFrame(s, () => {
    ran.push("rename");
    holdFrames(s);
  });
  deferFrame(s, () => ran.push("b"));
  releaseFrames(s, true);
  assert.deepEqual(ran, ["a", "rename"], "stops at the frame that holds again");
  assert.equal(
    deferFrame(s, () => ran.push("c")),
    "queued",
    "still held: new frames queue behind b",
  );
  releaseFrames(s, true);
  assert.deepEqual(ran, ["a", "rename", "b", "c"]);
  assert.equal(s.inbox, undefined);
});

test("a flood while held is refused past the bound; a closed session's frames are dropped", () => {
  const s = session();
  let ran = 0;
  holdFrames(s);
  for (let i = 0; i < MAX_HELD_FRAMES; i++)
    assert.equal(
      deferFrame(s, () => ran++),
      "queued",
    );
  assert.equal(
    deferFrame(s, () => ran++),
    "full",
  );
  releaseFrames(s, false);
  assert.equal(ran, 0);
  assert.equal(s.inbox, undefined);
});
