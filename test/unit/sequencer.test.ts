import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { RoomSequencer } from "../../src/chat/sequencer.ts";

const make = () => {
  const out: string[] = [];
  const sequencer = new RoomSequencer<{ seq: number }>((room, item) => out.push(`${room}:${item.seq}`));
  return { sequencer, out };
};

describe("RoomSequencer", () => {
  test("hands on in seq order, holds what comes early, drops repeats", () => {
    const { sequencer, out } = make();
    sequencer.start("r", 0);
    assert.equal(sequencer.offer("r", { seq: 1 }), "delivered");
    assert.equal(sequencer.offer("r", { seq: 3 }), "held");
    assert.equal(sequencer.hasGap("r"), true);
    assert.equal(sequencer.offer("r", { seq: 3 }), "repeat");
    assert.equal(sequencer.offer("r", { seq: 4 }), "held");
    assert.deepEqual(out, ["r:1"]);
    assert.equal(sequencer.offer("r", { seq: 2 }), "delivered");
    assert.deepEqual(out, ["r:1", "r:2", "r:3", "r:4"]);
    assert.equal(sequencer.hasGap("r"), false);
    assert.equal(sequencer.offer("r", { seq: 2 }), "repeat");
    assert.equal(sequencer.position("r"), 4);
  });

  test("holds everything until started, then drops what the start covers", () => {
    const { sequencer, out } = make();
    for (const seq of [5, 7, 6, 9]) sequencer.offer("r", { seq });
    assert.deepEqual(out, []);
    assert.equal(sequencer.hasGap("r"), false, "no gap before a start");
    sequencer.start("r", 5);
    assert.deepEqual(out, ["r:6", "r:7"]);
    assert.equal(sequencer.hasGap("r"), true, "8 is missing");
    sequencer.start("r", 100);
    assert.equal(sequencer.position("r"), 7, "a second start changes nothing");
  });

  test("a known end is a gap until reached; skipTo passes seqs that will never come", () => {
    const { sequencer, out } = make();
    sequencer.start("r", 2);
    sequencer.expect("r", 4);
    assert.equal(sequencer.hasGap("r"), true);
    assert.equal(sequencer.skipTarget("r"), 4);
    sequencer.offer("r", { seq: 6 });
    assert.equal(sequencer.skipTarget("r"), 5, "just before the first held");
    sequencer.skipTo("r", 5);
    assert.deepEqual(out, ["r:6"]);
    assert.equal(sequencer.hasGap("r"), false);
  });

  test("rooms are independent, and a dropped room starts over", () => {
    const { sequencer, out } = make();
    sequencer.start("a", 0);
    sequencer.start("b", 10);
    sequencer.offer("b", { seq: 11 });
    sequencer.offer("a", { seq: 1 });
    assert.deepEqual(out, ["b:11", "a:1"]);
    assert.deepEqual(sequencer.startedRooms().sort(), ["a", "b"]);
    sequencer.drop("a");
    assert.equal(sequencer.isStarted("a"), false);
    assert.equal(sequencer.offer("a", { seq: 2 }), "held");
  });
});
