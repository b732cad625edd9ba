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

/** A nickname passes to a reconnected client only with the hash kept with its claim; its old entries go. */
const reclaimScenario = async (nodeA: Presence, nodeB: Presence): Promise<void> => {
  assert.equal(await nodeA.claimNick("Ivy", "a:1", "hash-1"), true);
  await nodeA.join("den", "a:1", "Ivy");
  await nodeA.join("den", "a:2", "user-2");
  assert.equal(await nodeB.claimNick("\u0399vy", "b:1", "hash-x"), false, "a lookalike (Greek Ι) is the same name");
  assert.equal(await nodeB.reclaimNick("ivy", "b:1", "hash-wrong", "hash-2"), undefined, "a wrong key: refused");
  assert.deepEqual(await nodeB.reclaimNick("ivy", "b:1", "hash-1", "hash-2"), { previous: "a:1", rooms: ["den"] });
  assert.deepEqual(await nodeA.members("den"), ["user-2"], "the old connection's entry is gone: no leave to sweep");
  assert.equal(await nodeA.claimNick("Ivy", "a:3"), false, "the name is b:1's now");
  assert.equal(await nodeA.reclaimNick("Ivy", "a:3", "hash-1", "hash-3"), undefined, "a key works once");
  await nodeA.releaseNick("Ivy", "a:1"); // the old connection finally closes: not its name any more
  assert.equal(await nodeA.claimNick("Ivy", "a:3"), false);
  assert.equal(await nodeA.claimNick("Bob", "a:4"), true); // held without a key (a text client, a user)
  assert.equal(await nodeB.reclaimNick("Bob", "b:2", "hash-1", "hash-4"), undefined, "no key, no reclaim");
  await nodeB.releaseNick("Ivy", "b:1");
  assert.deepEqual(await nodeA.reclaimNick("Ivy", "a:5", "anything", "hash-5"), { previous: undefined, rooms: [] });
};

describe("Presence: reconnect keys", () => {
  test("memory (one node)", async () => {
    const presence = new MemoryPresence();
    await reclaimScenario(presence, presence);
  });

  describe("Redis (two nodes)", async () => {
    const reason = await skipReason(redisMissing);
    const keys = redisPrefix();
    const made: RedisPresence[] = [];
    after(async () => {
      for (const presence of made) await presence.close();
      if (!reason) await keys.clean();
    });
    test("a name passes between nodes with its key only", { skip: reason }, async () => {
      const [a, b] = ["a", "b"].map((nodeId) => {
        const presence = new RedisPresence({ url: REDIS_URL, prefix: keys.prefix, nodeId, nodeTimeoutMs: 10_000 });
        made.push(presence);
        return presence;
      }) as [RedisPresence, RedisPresence];
      await Promise.all([a.ping(), b.ping()]);
      await reclaimScenario(a, b);
    });
  });
});

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
