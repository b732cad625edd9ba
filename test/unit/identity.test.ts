import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { RoomAccess, type VerifiedUser } from "../../src/chat/identity.ts";
import { TypingThrottle } from "../../src/chat/typing.ts";

const identity = (rooms: VerifiedUser["rooms"]): VerifiedUser => ({ id: "u", name: "U", rooms, expiresAt: 0 });

describe("identity, access, typing throttle", () => {
  test("public rooms are open to all; a private room only to tokens granting it or '*'", () => {
    const access = new RoomAccess(["secret"]);
    assert.equal(access.mayEnter(undefined, "lobby"), true);
    assert.equal(access.mayEnter(undefined, "secret"), false);
    assert.equal(access.mayEnter(identity(new Set(["other"])), "secret"), false);
    assert.equal(access.mayEnter(identity(new Set(["secret"])), "secret"), true);
    assert.equal(access.mayEnter(identity("all"), "secret"), true);
    assert.equal(access.setPrivate("secret", false), true);
    assert.equal(access.mayEnter(undefined, "secret"), true);
    assert.equal(access.setPrivate("secret", false), false, "no change");
  });

  test("typing: one relay per person and room per interval", () => {
    const throttle = new TypingThrottle(3000);
    assert.equal(throttle.allow("alice", "lobby", 1000), true);
    assert.equal(throttle.allow("alice", "lobby", 3999), false);
    assert.equal(throttle.allow("alice", "dev", 3999), true, "another room");
    assert.equal(throttle.allow("bob", "lobby", 3999), true, "another person");
    assert.equal(throttle.allow("alice", "lobby", 4000), true);
    assert.equal(throttle.allow("carol", "lobby", 20000), true);
    assert.equal(throttle.size, 1, "stale entries are swept");
  });
});
