import assert from "node:assert/strict";
import { test } from "node:test";
import { deferFrame, heldFull, holdFrames, MAX_HELD_FRAMES, releaseFrames } from "../../src/service/held-frames.ts";
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

test("a flood while held is kept in order, and says when the bound is reached (reading stops); a closed session's frames are dropped", () => {
  const s = session();
  const ran: number[] = [];
  holdFrames(s);
  for (let i = 0; i < MAX_HELD_FRAMES - 1; i++)
    assert.equal(
      deferFrame(s, () => ran.push(i)),
      "queued",
    );
  assert.equal(heldFull(s), false);
  assert.equal(
    deferFrame(s, () => ran.push(MAX_HELD_FRAMES - 1)),
    "full",
  );
  // Frames already read when reading stopped still join, in order: nothing is refused.
  assert.equal(
    deferFrame(s, () => ran.push(MAX_HELD_FRAMES)),
    "full",
  );
  assert.equal(heldFull(s), true);
  releaseFrames(s, true);
  assert.deepEqual(
    ran,
    Array.from({ length: MAX_HELD_FRAMES + 1 }, (_, i) => i),
  );
  assert.equal(heldFull(s), false);

  holdFrames(s);
  deferFrame(s, () => ran.push(-1));
  releaseFrames(s, false);
  assert.equal(ran.includes(-1), false);
  assert.equal(s.inbox, undefined);
});
