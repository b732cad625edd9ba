import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { refreshDelay, tokenExpiry } from "../../packages/client/src/auth.ts";
import { TypingThrottle } from "../../packages/client/src/typing.ts";
import { UnreadCounts } from "../../packages/client/src/unread.ts";
import { ManualTimers } from "../helpers/sdk.ts";
import { hsToken, newSecret } from "../helpers/tokens.ts";

describe("SDK identity pieces", () => {
  test("tokenExpiry reads exp from a real JWT, and nothing from what is not one", async () => {
    const token = await hsToken(newSecret(), { sub: "u1", name: "Zoë ✓" }, 60);
    const exp = tokenExpiry(token);
    assert.ok(exp !== undefined && Math.abs(exp - (Date.now() + 60_000) / 1000) < 2, `exp ${exp}`);
    for (const bad of ["", "abc", "a.b.c", "a.!!!.c", `x.${Buffer.from('{"exp":"soon"}').toString("base64url")}.y`]) {
      assert.equal(tokenExpiry(bad), undefined, bad);
    }
  });

  test("refresh margin: 30 s before exp for long tokens, a tenth of the lifetime for short ones", () => {
    const now = 1_000_000_000;
    assert.equal(refreshDelay(now / 1000 + 600, now, now), 570_000, "10 min token: 30 s before");
    assert.equal(refreshDelay(now / 1000 + 10, now, now), 9_000, "10 s token: 1 s before");
    assert.equal(refreshDelay(now / 1000 + 10, now, now + 9_500), 0, "already inside the margin: at once");
    assert.equal(refreshDelay(now / 1000 - 5, now, now), 0, "expired: at once");
  });

  test("typing goes out at most once per interval per room", () => {
    let now = 0;
    const throttle = new TypingThrottle(2500, () => now);
    const sent: number[] = [];
    for (now = 0; now <= 6000; now += 100) if (throttle.allow("dev")) sent.push(now);
    assert.deepEqual(sent, [0, 2500, 5000]);
    assert.equal(throttle.allow("ops"), true, "rooms are throttled separately");
  });

  test("unread counts: server numbers, counted on per new message, marked read in one frame per second", () => {
    const timers = new ManualTimers();
    const frames: Array<[string, number]> = [];
    const changes: Array<[string, number]> = [];
    const unread = new UnreadCounts({
      sendRead: (room, seq) => frames.push([room, seq]) > 0,
      changed: (room, count) => changes.push([room, count]),
      timers,
    });
    unread.welcomed({ dev: 3, ops: 0 });
    assert.deepEqual(unread.all(), { dev: 3, ops: 0 });
    unread.joined("dev", 10, 3); // resumed: the catch-up messages 8..10 are already in the 3
    for (const seq of [8, 9, 10, 11]) unread.message("dev", seq);
    assert.equal(unread.get("dev"), 4, "only message 11 is new");
    unread.mark("dev", 11, 11);
    unread.mark("dev", 11, 11);
    assert.equal(unread.get("dev"), 0);
    unread.message("dev", 12);
    unread.mark("dev", 12, 12);
    assert.deepEqual(frames, [["dev", 11]], "the second mark waits for the window");
    timers.fire(1000);
    assert.deepEqual(frames, [
      ["dev", 11],
      ["dev", 12],
    ]);
    unread.read("dev", 11, 1); // an older echo overtaken by our own newer mark
    assert.equal(unread.get("dev"), 0);
    unread.read("dev", 12, 0);
    unread.message("dev", 13);
    assert.equal(unread.get("dev"), 1);
    assert.deepEqual(changes.at(-1), ["dev", 1]);
    assert.equal(unread.get("lobby"), undefined, "no position known: no count (e.g. anonymous)");

    timers.fire(1000);
    unread.mark("dev", 13, 13);
    unread.message("dev", 14);
    unread.mark("dev", 14, 14);
    assert.deepEqual(frames.at(-1), ["dev", 13]);
    unread.flush(); // closing: the held-back position goes out now, not never
    assert.deepEqual(frames.at(-1), ["dev", 14]);
    assert.equal(timers.pending.size, 0);

    // Edits, deletes and reactions have seqs but are no new messages: a mark short of the end counts what follows it.
    unread.joined("ops", 20, 2);
    unread.mark("ops", 17, 20, 1);
    assert.equal(unread.get("ops"), 1, "the room holds what follows seq 17: one message");
    unread.mark("ops", 18, 20);
    assert.equal(unread.get("ops"), 1, "not all held: never more than known before, until the server answers");
    unread.read("ops", 18, 0);
    assert.equal(unread.get("ops"), 0);
    unread.flush();
  });
});
