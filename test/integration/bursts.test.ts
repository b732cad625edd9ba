import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { RunningParley } from "../../src/server.ts";
import { connect, type TestClient } from "../helpers/client.ts";
import { startTestParley } from "../helpers/parley.ts";

/** The defaults that matter here: a 1 MiB queue cap, 20 messages/s with a burst of 40, 64 KiB frames. */
const DEFAULTS = { rateLimit: 20, rateBurst: 40, rateStrikes: 100, rateHold: 500, maxQueueBytes: 1024 * 1024 };
/** The biggest text a JSON `send` carries within a 64 KiB frame (the text-mode line is the same size). */
const BIG = 65_000;

interface Member {
  client: TestClient;
  mode: "text" | "json";
}

/** `count` members of `room`, alternately text (Cookbook port) and JSON (page port), all reading as fast as they can. */
const members = async (parley: RunningParley, room: string, count: number): Promise<Member[]> => {
  const all: Member[] = [];
  for (let i = 0; i < count; i++) {
    if (i % 2 === 0) all.push({ client: await connect(`ws://127.0.0.1:${parley.wsPort}/chat/${room}`), mode: "text" });
    else {
      const client = await connect(`ws://127.0.0.1:${parley.port}/chat/${room}`, "parley.v1");
      await client.nextMatching((f) => f.includes('"type":"joined"'));
      all.push({ client, mode: "json" });
    }
  }
  return all;
};

const say = (member: Member, text: string): void =>
  member.client.send(member.mode === "text" ? text : JSON.stringify({ type: "send", text }));

/** The big messages a member has received, by their tag (the text's first word), in arrival order. */
const tagsSeen = (member: Member): string[] =>
  member.client.frames
    .map((f) =>
      member.mode === "text" ? /^user-\d+: (\S+) x/.exec(f)?.[1] : /"type":"message".*"text":"(\S+) x/.exec(f)?.[1],
    )
    .filter((tag): tag is string => tag !== undefined);

const untilAllSeen = async (all: Member[], tags: string[], ms = 20_000): Promise<void> => {
  const until = Date.now() + ms;
  while (all.some((m) => tagsSeen(m).length < tags.length)) {
    if (Date.now() > until) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

describe("bursts of big messages with readers that keep up (default limits)", { timeout: 60_000 }, () => {
  let parley: RunningParley;
  before(async () => {
    parley = await startTestParley(DEFAULTS);
  });
  after(() => parley.close());

  test("24 members each send one 64 KiB message at the same moment: every member, text and JSON, gets all 24 and stays", async () => {
    const all = await members(parley, "crowd", 24);
    const tags = all.map((_, i) => `c${i}`);
    all.forEach((member, i) => {
      say(member, `${tags[i]} ${"x".repeat(BIG)}`);
    });
    await untilAllSeen(all, tags);
    for (const member of all) {
      assert.deepEqual([...tagsSeen(member)].sort(), [...tags].sort(), `a ${member.mode} member got them all`);
      assert.equal(member.client.ws.readyState, member.client.ws.OPEN, `a ${member.mode} member was not closed`);
    }
    await Promise.all(all.map((m) => m.client.close()));
  });

  for (const senderMode of ["text", "json"] as const) {
    test(`one ${senderMode} member sends its whole burst, 40 × 64 KiB: every member gets all 40, in order, and stays`, async () => {
      const all = await members(parley, `burst-${senderMode}`, 8);
      const sender = all.find((m) => m.mode === senderMode) as Member;
      const tags = Array.from({ length: 40 }, (_, i) => `b${i}`);
      for (const tag of tags) say(sender, `${tag} ${"x".repeat(BIG)}`);
      await untilAllSeen(all, tags);
      for (const member of all) {
        assert.deepEqual(tagsSeen(member), tags, `a ${member.mode} member got all 40 in order`);
        assert.equal(member.client.ws.readyState, member.client.ws.OPEN, `a ${member.mode} member was not closed`);
      }
      await Promise.all(all.map((m) => m.client.close()));
    });
  }
});
