import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ParleyError } from "../../src/chat/errors.ts";
import { Hub } from "../../src/chat/hub.ts";

const sequence = (...values: number[]) => {
  let i = 0;
  return () => values[i++ % values.length] as number;
};

describe("Hub", () => {
  test("when every random draw is taken, the nickname space widens past user-99999, each name still unique", () => {
    const hub = new Hub<null>({ random: sequence(0.5), maxRoomsPerMember: 5 });
    const nicks = [hub.add("text", null), hub.add("text", null), hub.add("json", null)].map((m) => m.nick);
    assert.deepEqual(nicks, ["user-50000", "user-100000", "user-100001"]);
    assert.equal(hub.find("user-100000")?.nick, "user-100000", "registered under the name it got");
  });

  test("gives Cookbook nicknames and never two equal ones", () => {
    const hub = new Hub<null>({ random: sequence(0.12345, 0.12345, 0.5), maxRoomsPerMember: 5 });
    assert.equal(hub.add("text", null).nick, "user-12345");
    assert.equal(hub.add("text", null).nick, "user-50000");
  });

  test("join, leave and remove keep both indexes in step and report presence", () => {
    const hub = new Hub<null>({ random: sequence(0.1, 0.2), maxRoomsPerMember: 5 });
    const a = hub.add("json", null);
    const b = hub.add("text", null);
    assert.deepEqual(hub.join(a, "lobby"), { room: "lobby", action: "join", nick: "user-10000" });
    hub.join(a, "dev");
    hub.join(b, "lobby");
    assert.deepEqual(hub.nicksIn("lobby"), ["user-10000", "user-20000"]);
    assert.deepEqual(hub.leave(a, "dev"), { room: "dev", action: "leave", nick: "user-10000" });
    assert.deepEqual(hub.roomNames(), ["lobby"]);
    assert.deepEqual(hub.remove(a), [{ room: "lobby", action: "leave", nick: "user-10000" }]);
    assert.deepEqual(hub.nicksIn("lobby"), ["user-20000"]);
    assert.equal(hub.memberCount, 1);
    assert.deepEqual(hub.remove(a), [], "removing twice announces nothing");
  });

  test("rename validates, is case-insensitively unique and frees the old name", () => {
    const hub = new Hub<null>({ random: sequence(0.1, 0.2), maxRoomsPerMember: 5 });
    const a = hub.add("text", null);
    const b = hub.add("text", null);
    hub.join(a, "lobby");
    assert.deepEqual(hub.rename(a, "Alice"), [{ room: "lobby", action: "nick", from: "user-10000", nick: "Alice" }]);
    assert.throws(
      () => hub.rename(b, "alice"),
      (e: unknown) => e instanceof ParleyError && e.code === "nick_taken",
    );
    assert.throws(
      () => hub.rename(b, ""),
      (e: unknown) => e instanceof ParleyError && e.code === "bad_nick",
    );
    assert.throws(
      () => hub.rename(b, "x".repeat(33)),
      (e: unknown) => e instanceof ParleyError && e.code === "bad_nick",
    );
    assert.throws(
      () => hub.rename(b, "bad\nnick"),
      (e: unknown) => e instanceof ParleyError && e.code === "bad_nick",
    );
    assert.deepEqual(hub.rename(b, "user-10000"), [], "the old name is free again; b is in no room");
    assert.equal(b.nick, "user-10000");
  });

  test("limits the rooms a member may be in and refuses double joins", () => {
    const hub = new Hub<null>({ random: sequence(0.3), maxRoomsPerMember: 2 });
    const a = hub.add("json", null);
    hub.join(a, "one");
    assert.throws(
      () => hub.join(a, "one"),
      (e: unknown) => e instanceof ParleyError && e.code === "already_in_room",
    );
    hub.join(a, "two");
    assert.throws(
      () => hub.join(a, "three"),
      (e: unknown) => e instanceof ParleyError && e.code === "too_many_rooms",
    );
    assert.throws(
      () => hub.leave(a, "three"),
      (e: unknown) => e instanceof ParleyError && e.code === "not_in_room",
    );
  });
  test("a user's connections share one nick; the room's nicknames list the person once", () => {
    const hub = new Hub<null>({ random: sequence(0.1, 0.2), maxRoomsPerMember: 5 });
    const alice = { id: "u-1", name: "Alice" };
    const tab1 = hub.addUser("json", null, alice).member;
    const tab2 = hub.addUser("json", null, alice).member;
    const tab3 = hub.addUser("text", null, alice).member;
    assert.deepEqual([tab1.nick, tab2.nick, tab3.nick], ["Alice", "Alice", "Alice"]);
    for (const tab of [tab1, tab2, tab3]) hub.join(tab, "lobby");
    const anon = hub.add("json", null);
    hub.join(anon, "lobby");
    assert.deepEqual(hub.nicksIn("lobby"), ["Alice", "user-10000"]);
    assert.equal(hub.membersOf("lobby").size, 4, "every connection still gets the room's stream");
    assert.deepEqual(hub.findAll("ALICE"), [tab1, tab2, tab3]);
    hub.remove(tab2);
    hub.remove(tab3);
    assert.equal(hub.isNickTaken("alice"), true, "tab 1 is still connected");
    hub.remove(tab1);
    assert.equal(hub.isNickTaken("alice"), false, "the last connection gone frees the nick here");
    assert.deepEqual(hub.nicksIn("lobby"), ["user-10000"]);
  });

  test("a signed-in name wins over an anonymous holder; two users of one name are told apart", () => {
    const hub = new Hub<null>({ random: sequence(0.1, 0.2, 0.3), maxRoomsPerMember: 5 });
    const anon = hub.add("text", null);
    hub.join(anon, "lobby");
    hub.rename(anon, "bob");
    const added = hub.addUser("json", null, { id: "u-bob", name: "Bob" });
    assert.equal(added.member.nick, "Bob");
    assert.equal(added.bumped?.member, anon);
    assert.equal(anon.nick, "user-20000");
    assert.deepEqual(added.bumped?.events, [{ room: "lobby", action: "nick", from: "bob", nick: "user-20000" }]);
    const other = hub.addUser("json", null, { id: "u-bob-2", name: "bob" });
    assert.equal(other.member.nick, "bob-2");
    assert.equal(other.bumped, undefined);
    assert.equal(hub.renameUser("u-bob-2", 3), "bob-3", "held on another node: the next free form");
    assert.equal(other.member.nick, "bob-3");
    assert.throws(
      () => hub.rename(anon, "BOB"),
      (e: unknown) => e instanceof ParleyError && e.code === "nick_taken",
    );
    assert.throws(
      () => hub.rename(added.member, "robert"),
      (e: unknown) => e instanceof ParleyError && e.code === "forbidden",
    );
  });
});
