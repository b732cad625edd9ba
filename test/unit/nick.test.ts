import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ParleyError } from "../../src/chat/errors.ts";
import { Hub } from "../../src/chat/hub.ts";
import { nickKey, skeleton, validateNick } from "../../src/chat/nick.ts";

const badNick = (nick: string) => (error: unknown) => {
  assert.ok(error instanceof ParleyError, `${JSON.stringify(nick)}: ${String(error)}`);
  assert.equal(error.code, "bad_nick");
  return true;
};

describe("nicknames that cannot be faked", () => {
  test("invisible and text-direction characters are refused, naming the code point", () => {
    for (const nick of [
      "alice\u200b",
      "al\u200bice",
      "alice\u202e",
      "\u200d",
      "\u2066alice\u2069",
      "bob\ufe0f",
      "\u3164",
    ]) {
      assert.throws(() => validateNick(nick), badNick(nick));
    }
    assert.throws(() => validateNick("al\u200bice"), /U\+200B/);
    assert.throws(() => validateNick("alice\u202e"), /U\+202E/);
  });

  test("a nickname is shown as NFKC: fullwidth and ligature forms folded, lengths counted after", () => {
    assert.equal(validateNick("\uff41\uff4c\uff49\uff43\uff45"), "alice");
    assert.equal(validateNick("\ufb01sh"), "fish");
    assert.equal(validateNick("a\u0301"), "\u00e1");
    assert.equal(
      validateNick("\u0430lice"),
      "\u0430lice",
      "a Cyrillic name is a name: it is its look that must be unique",
    );
    // U+FDFA is one character that NFKC spells out in 18.
    assert.throws(() => validateNick(`${"x".repeat(20)}\ufdfa`), badNick("long after NFKC"));
  });

  test("the skeleton (UTS #39) maps lookalikes to one prototype and ignores invisible characters", () => {
    assert.equal(skeleton("\u0430lice"), skeleton("alice"));
    assert.equal(skeleton("p\u0430yp\u0430l"), "paypal");
    assert.equal(skeleton("al\u200bice"), "alice");
    assert.equal(skeleton("m"), skeleton("rn"));
    assert.notEqual(skeleton("alice"), skeleton("bob"));
  });

  test("nickKey: one key per look, whatever the case", () => {
    const alice = nickKey("alice");
    for (const lookalike of ["Alice", "ALICE", "\u0430lice", "\u0251lice", "aIice", "a1ice", "AL1CE", "\uff21lice"]) {
      assert.equal(nickKey(lookalike), alice, JSON.stringify(lookalike));
    }
    assert.equal(nickKey("b0b"), nickKey("BOB"));
    assert.equal(nickKey("M"), nickKey("rn"));
    for (const other of ["alicia", "bob", "alice-2", "user-1"]) assert.notEqual(nickKey(other), alice, other);
  });

  test("nickKey of printable ASCII (looked up per character) is what the full path gives", () => {
    // A trailing Cyrillic "а" sends the whole name down the full path (NFKC, skeletons, case).
    let seed = 7;
    const random = () => {
      seed = (seed * 48271) % 2147483647;
      return seed / 2147483647;
    };
    for (let n = 0; n < 3000; n++) {
      const ascii = Array.from({ length: 1 + Math.floor(random() * 12) }, () =>
        String.fromCharCode(0x21 + Math.floor(random() * 94)),
      ).join("");
      assert.equal(nickKey(`${ascii}\u0430`), `${nickKey(ascii)}${nickKey("a")}`, JSON.stringify(ascii));
    }
    assert.equal(nickKey("user-10"), nickKey("USER-IO"));
  });

  test("the hub refuses a lookalike of a name it holds, and the holder may change its own case", () => {
    let n = 0;
    const hub = new Hub<null>({ random: () => (n++ % 10) / 10, maxRoomsPerMember: 5 });
    const alice = hub.add("json", null);
    const mallory = hub.add("json", null);
    hub.rename(alice, "alice");
    for (const spoof of ["\u0430lice", "ALICE", "aIice", "\uff41lice"]) {
      assert.throws(
        () => hub.rename(mallory, spoof),
        (error: unknown) => error instanceof ParleyError && error.code === "nick_taken",
        spoof,
      );
    }
    assert.equal(hub.find("\u0430lice"), alice);
    hub.rename(alice, "Alice");
    assert.equal(alice.nick, "Alice");
    hub.rename(mallory, "\uff4d\uff41\uff4c"); // fullwidth: stored as shown, NFKC
    assert.equal(mallory.nick, "mal");
  });
});
