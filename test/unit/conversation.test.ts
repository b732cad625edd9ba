import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { applyChange, changeKey, MAX_EMOJI_PER_MESSAGE } from "../../src/chat/conversation.ts";
import { isEmoji } from "../../src/chat/emoji.ts";
import { mentionsIn } from "../../src/chat/mentions.ts";
import type { ChatMessage } from "../../src/chat/message.ts";
import { encodeMessage, historyPieces } from "../../src/protocol/json.ts";
import { textOf } from "../../src/protocol/text.ts";

const message: ChatMessage = { room: "r", seq: 1, id: "i", nick: "ann", text: "hi", ts: 5 };
const mine = { message, owner: "u:ann" };

describe("conversation rules (pure)", () => {
  test("one RGI emoji, from Unicode's data: sequences and modifiers yes, text and pairs no", () => {
    for (const yes of ["👍", "👍🏽", "🏳️‍🌈", "🇫🇷", "❤️", "👩‍👩‍👧"]) assert.ok(isEmoji(yes), yes);
    for (const no of ["", "a", ":)", "👍👍", "👍 ", "1", "#", "\u200d", "🇫"]) assert.equal(isEmoji(no), false, no);
  });

  test("mentions: @nick after a space or at the start, trailing punctuation off, each once; not in an address", () => {
    assert.deepEqual(mentionsIn("@alice, and @bob! also @alice"), ["alice", "bob"]);
    assert.deepEqual(mentionsIn("mail ann@example.com"), []);
    assert.deepEqual(mentionsIn("@room look"), ["room"]);
    assert.deepEqual(mentionsIn("ｆｕｌｌ @ｂｏｂ"), ["bob"], "NFKC, as nicknames are shown");
    assert.deepEqual(mentionsIn("no at sign"), []);
  });

  test("edit and delete are the owner's; a deleted message changes no more; an admin deletes any", () => {
    const edit = applyChange(mine, { kind: "edit", target: 1, text: "hey" }, { nick: "ann", owner: "u:ann" }, 9);
    assert.ok("state" in edit && edit.state.text === "hey" && edit.state.edited === 9);
    const other = applyChange(mine, { kind: "edit", target: 1, text: "x" }, { nick: "bob", owner: "u:bob" }, 9);
    assert.ok("refused" in other && other.refused.code === "forbidden");
    const anon = applyChange(
      { message, owner: undefined },
      { kind: "delete", target: 1 },
      { nick: "x", owner: undefined },
      9,
    );
    assert.ok("refused" in anon && anon.refused.code === "forbidden", "no owner on either side is no match");
    const admin = applyChange(mine, { kind: "delete", target: 1, admin: true }, { nick: "admin", owner: undefined }, 9);
    assert.ok("state" in admin && admin.state.deleted && admin.state.text === "");
    const after = applyChange(
      { message: admin.state, owner: "u:ann" },
      { kind: "react", target: 1, emoji: "👍" },
      { nick: "ann", owner: "u:ann" },
      9,
    );
    assert.ok("refused" in after && after.refused.code === "not_found");
  });

  test("reactions: toggle, explicit on/off, the per-message cap", () => {
    let state = message;
    for (let i = 0; i < MAX_EMOJI_PER_MESSAGE; i++) {
      const r = applyChange(
        { message: state, owner: "u:ann" },
        { kind: "react", target: 1, emoji: `e${i}` },
        { nick: `p${i}`, owner: undefined },
        1,
      );
      assert.ok("state" in r);
      state = r.state;
    }
    const over = applyChange(
      { message: state, owner: "u:ann" },
      { kind: "react", target: 1, emoji: "new" },
      { nick: "q", owner: undefined },
      1,
    );
    assert.ok("refused" in over && over.refused.code === "too_many_reactions");
    const join = applyChange(
      { message: state, owner: "u:ann" },
      { kind: "react", target: 1, emoji: "e0", on: true },
      { nick: "q", owner: undefined },
      1,
    );
    assert.ok("state" in join && join.on === true, "adding to an existing emoji is within the cap");
    const offAgain = applyChange(
      { message, owner: "u:ann" },
      { kind: "react", target: 1, emoji: "👍", on: false },
      { nick: "q", owner: undefined },
      1,
    );
    assert.ok("state" in offAgain && offAgain.on === false && offAgain.state.reactions === undefined);
  });

  test("a cid names one change: same request, same key; another text or emoji, another key", () => {
    const a = changeKey({ kind: "edit", target: 1, text: "x" });
    assert.equal(a, changeKey({ kind: "edit", target: 1, text: "x" }));
    assert.notEqual(a, changeKey({ kind: "edit", target: 1, text: "y" }));
    assert.notEqual(a, changeKey({ kind: "edit", target: 2, text: "x" }));
    assert.equal(a.includes("x"), false, "the key holds no text");
  });

  test("wire: a plain message's bytes are unchanged; changes go as events and in a page's `changes`", () => {
    assert.equal(
      encodeMessage(message),
      '{"type":"message","room":"r","seq":1,"id":"i","nick":"ann","text":"hi","ts":5}',
    );
    assert.equal(textOf(message), "ann: hi");
    const edited = { ...message, text: "hey", edited: 9 };
    const event: ChatMessage = {
      room: "r",
      seq: 2,
      id: "j",
      nick: "ann",
      text: "",
      ts: 9,
      change: { kind: "edit", target: edited },
    };
    assert.deepEqual(JSON.parse(encodeMessage(event)), {
      ...{ type: "edit", room: "r", seq: 1, at: 2, id: "j", nick: "ann", ts: 9 },
      message: { room: "r", seq: 1, id: "i", nick: "ann", text: "hey", ts: 5, edited: 9 },
    });
    assert.equal(textOf(event), " .... ann edited: hey");
    const page = JSON.parse(historyPieces("r", [edited, event]).join(""));
    assert.deepEqual(page.messages, [{ room: "r", seq: 1, id: "i", nick: "ann", text: "hey", ts: 5, edited: 9 }]);
    assert.equal(page.changes[0].at, 2);
    assert.equal(JSON.parse(historyPieces("r", [message]).join("")).changes, undefined, "no field when no change");
    const react: ChatMessage = { ...event, change: { kind: "react", target: message, emoji: "👍", on: true } };
    assert.equal(textOf(react), null, "text clients are sent nothing for a reaction");
  });
});
