import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parseTextLine } from "../../src/chat/commands.ts";
import { ParleyError } from "../../src/chat/errors.ts";
import { roomFromPath } from "../../src/chat/room-name.ts";
import { decodeClientFrame, encodeEvent, historyPieces } from "../../src/protocol/json.ts";
import { textLeft, textMessage } from "../../src/protocol/text.ts";
import { textFrame, textFrameOfPieces } from "../../src/protocol/ws-frame.ts";

const code = (fn: () => unknown): string => {
  try {
    fn();
  } catch (error) {
    if (error instanceof ParleyError) return error.code;
    throw error;
  }
  return "none";
};

describe("text mode", () => {
  test("formats exactly as the Cookbook", () => {
    assert.equal(textMessage("user-42", "hi"), "user-42: hi");
    assert.equal(textLeft("user-42"), " .... user-42 has left.");
  });
  test("only /nick and /who are commands; everything else is said", () => {
    assert.deepEqual(parseTextLine("/nick  Bob "), { kind: "nick", nick: "Bob" });
    assert.deepEqual(parseTextLine("/who"), { kind: "who" });
    assert.deepEqual(parseTextLine("/whom"), { kind: "say", text: "/whom" });
    assert.deepEqual(parseTextLine(""), { kind: "say", text: "" });
  });
  test("paths choose rooms", () => {
    assert.equal(roomFromPath("/"), "lobby");
    assert.equal(roomFromPath("/chat"), "lobby");
    assert.equal(roomFromPath("/chat/dev"), "dev");
    assert.equal(
      code(() => roomFromPath("/elsewhere")),
      "bad_room",
    );
    assert.equal(
      code(() => roomFromPath("/chat/a%20b")),
      "bad_room",
    );
  });
});

describe("JSON v1 decoding", () => {
  test("accepts every documented frame", () => {
    assert.deepEqual(decodeClientFrame('{"type":"send","text":"x","cid":"1"}'), {
      type: "send",
      room: undefined,
      text: "x",
      cid: "1",
      replyTo: undefined,
      file: undefined,
    });
    assert.equal(decodeClientFrame('{"type":"send","text":"","file":"f1"}').type, "send");
    assert.deepEqual(decodeClientFrame('{"type":"upload_ticket","room":"r","cid":"t"}'), {
      type: "upload_ticket",
      room: "r",
      cid: "t",
    });
    assert.deepEqual(decodeClientFrame('{"type":"join","room":"r","since":3}'), {
      type: "join",
      room: "r",
      since: 3,
      limit: undefined,
    });
    assert.equal(decodeClientFrame('{"type":"history","room":"r","before":9}').type, "history");
  });
  test("rejects with stable codes", () => {
    assert.equal(
      code(() => decodeClientFrame("nope")),
      "bad_json",
    );
    assert.equal(
      code(() => decodeClientFrame("null")),
      "bad_request",
    );
    assert.equal(
      code(() => decodeClientFrame('{"type":"x"}')),
      "unknown_type",
    );
    assert.equal(
      code(() => decodeClientFrame(`{"type":${"[".repeat(100_000)}${"]".repeat(100_000)}}`)),
      "bad_request",
    );
    assert.equal(
      code(() => decodeClientFrame(`{"type":"send","text":"x","cid":"${"c".repeat(129)}"}`)),
      "bad_request",
    );
    assert.equal(
      code(() => decodeClientFrame('{"type":"join","room":"r","since":1.5}')),
      "bad_request",
    );
    assert.equal(
      code(() => decodeClientFrame('{"type":"history","room":"r"}')),
      "bad_request",
    );
  });
});

describe("server frames", () => {
  test("use the shortest length encoding and carry UTF-8", () => {
    assert.deepEqual([...textFrame("hi")], [0x81, 2, 0x68, 0x69]);
    const medium = textFrame("é".repeat(100)); // 200 bytes
    assert.deepEqual([...medium.subarray(0, 4)], [0x81, 126, 0, 200]);
    const large = textFrame("x".repeat(70000));
    assert.deepEqual([...large.subarray(0, 10)], [0x81, 127, 0, 0, 0, 0, 0, 1, 0x11, 0x70]);
    assert.equal(large.length, 70010);
  });
});

test("a history event built in pieces is byte for byte the event encoded whole", () => {
  const messages = [
    { room: "dév", seq: 1, id: "a", nick: "ann", text: "x".repeat(70_000), ts: 1 },
    { room: "dév", seq: 2, id: "b", nick: "bob", text: 'é "quoted" \n 😀', ts: 2 },
  ];
  for (const part of [[], messages.slice(0, 1), messages]) {
    const whole = encodeEvent({ type: "history", room: "dév", messages: part });
    assert.equal(historyPieces("dév", part).join(""), whole);
    assert.deepEqual(textFrameOfPieces(historyPieces("dév", part)), textFrame(whole));
  }
});
