import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import type { PresenceEvent } from "../../src/chat/hub.ts";
import { MemoryPresence } from "../../src/presence/memory.ts";
import type { Presence } from "../../src/presence/presence.ts";
import { RedisPresence } from "../../src/presence/redis.ts";
import { REDIS_URL, redisMissing, redisPrefix, skipReason } from "../helpers/engines.ts";

/** A signed-in user's connections (owners `node:member`) are one person in a room, on any node. */
const onePersonScenario = async (nodeA: Presence, nodeB: Presence): Promise<void> => {
  assert.equal(await nodeA.join("team", "a:1", "Bob", "u-bob"), true, "the first connection makes Bob present");
  assert.equal(await nodeB.join("team", "b:7", "Bob", "u-bob"), false, "a second, on another node, does not");
  assert.equal(await nodeA.join("team", "a:2", "Bob", "u-bob"), false);
  assert.equal(await nodeA.join("team", "a:3", "user-5", undefined), true, "an anonymous member is its own person");
  assert.deepEqual((await nodeB.members("team")).sort(), ["Bob", "user-5"]);
  assert.equal(await nodeA.leave("team", "a:1", "u-bob"), false);
  assert.equal(await nodeB.leave("team", "b:7", "u-bob"), false);
  assert.equal(await nodeB.leave("team", "b:7", "u-bob"), false, "leaving twice changes nothing");
  assert.deepEqual((await nodeA.members("team")).sort(), ["Bob", "user-5"]);
  assert.equal(await nodeA.leave("team", "a:2", "u-bob"), true, "the last connection anywhere");
  assert.deepEqual(await nodeB.members("team"), ["user-5"]);
  assert.equal(await nodeA.leave("team", "a:3"), true);
};

describe("Presence: one person per signed-in user", () => {
  test("memory (one node)", async () => {
    const presence = new MemoryPresence();
    await onePersonScenario(presence, presence);
  });

  describe("Redis (two nodes)", async () => {
    const reason = await skipReason(redisMissing);
    const keys = redisPrefix();
    const made: RedisPresence[] = [];
    const node = (nodeId: string, nodeTimeoutMs = 10_000) => {
      const presence = new RedisPresence({ url: REDIS_URL, prefix: keys.prefix, nodeId, nodeTimeoutMs });
      made.push(presence);
      return presence;
    };
    after(async () => {
      for (const presence of made) await presence.close();
      if (!reason) await keys.clean();
    });

    test("connections on two nodes are one member", { skip: reason }, async () => {
      const [a, b] = [node("a"), node("b")];
      await Promise.all([a.ping(), b.ping()]);
      await onePersonScenario(a, b);
    });

    test("a dead node's connections go; the person leaves only when none is left anywhere", {
      skip: reason,
    }, async () => {
      const survivor = node("s", 300);
      const doomed = node("d", 300);
      await Promise.all([survivor.ping(), doomed.ping()]);
      const gone: PresenceEvent[] = [];
      survivor.onGone((events) => gone.push(...events));
      await doomed.join("hall", "d:1", "Carol", "u-carol");
      await doomed.join("hall", "d:2", "Dan", "u-dan");
      await survivor.join("hall", "s:1", "Carol", "u-carol");
      // The doomed node stops beating without cleaning up (as if it crashed).
      (doomed as unknown as { closed: boolean }).closed = true;
      clearInterval((doomed as unknown as { timer: NodeJS.Timeout }).timer);
      const until = Date.now() + 5000;
      while (!gone.some((e) => e.nick === "Dan") && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(gone, [{ room: "hall", action: "leave", nick: "Dan" }], "Carol is still here through node s");
      assert.deepEqual((await survivor.members("hall")).sort(), ["Carol"]);
      assert.equal(await survivor.leave("hall", "s:1", "u-carol"), true);
    });
  });
});
