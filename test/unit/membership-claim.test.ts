import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Hub } from "../../src/chat/hub.ts";
import { MemoryPresence } from "../../src/presence/memory.ts";
import { Membership } from "../../src/service/membership.ts";

/** Draws user-1, user-2, … in turn. */
const counting = () => {
  let n = 0;
  return () => ++n / 100000 + 1e-9;
};

describe("a new connection's random nickname, claimed across the cluster", () => {
  test("taken at the first draw when nobody holds it", async () => {
    const random = counting();
    const hub = new Hub<null>({ random, maxRoomsPerMember: 10 });
    const members = new Membership(new MemoryPresence(), "n1", hub);
    const member = hub.add("text", null);
    await members.claimFirstNick(member, random);
    assert.equal(member.nick, "user-1");
  });

  test("held on another node: the next free one is drawn and held by this member", async () => {
    const random = counting();
    const presence = new MemoryPresence();
    assert.ok(await presence.claimNick("user-1", "n2:1"));
    assert.ok(await presence.claimNick("user-2", "n2:2"));
    const hub = new Hub<null>({ random, maxRoomsPerMember: 10 });
    const members = new Membership(presence, "n1", hub);
    const member = hub.add("text", null);
    assert.equal(member.nick, "user-1");
    await members.claimFirstNick(member, random);
    assert.equal(member.nick, "user-3");
    assert.equal(await presence.claimNick("user-3", "n2:3"), false, "user-3 is this member's now");
    assert.ok(hub.isNickTaken("user-3") && !hub.isNickTaken("user-1"));
  });

  test("every draw held elsewhere: it stops after 20 claims instead of looping", async () => {
    const random = counting();
    let claims = 0;
    const presence = new MemoryPresence();
    presence.claimNick = () => {
      claims++;
      return Promise.resolve(false);
    };
    const hub = new Hub<null>({ random, maxRoomsPerMember: 10 });
    const members = new Membership(presence, "n1", hub);
    const member = hub.add("text", null);
    await members.claimFirstNick(member, random);
    assert.equal(claims, 20);
  });
});
