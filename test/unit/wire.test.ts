// The server's RFC 6455 parser (src/transport/wire.ts) fed bytes directly, as TCP may cut them:
// it never sees a real socket, so a fake one records what it writes and whether it ended.
import assert from "node:assert/strict";
import type { Socket } from "node:net";
import { test } from "node:test";
import { Wire, type WireEvents } from "../../src/transport/wire.ts";
import { clientFrame } from "../helpers/raw.ts";

/** A client frame with `opcode` and `payload`, masked as a client must (test/helpers/raw.ts builds it). */
const frame = (opcode: number, payload: Buffer, fin = true): Buffer => clientFrame({ opcode, payload, fin });

const harness = (maxPayload: number) => {
  const messages: (string | null)[] = [];
  const written: Buffer[] = [];
  let ended = false;
  const socket = {
    write: (b: Buffer) => written.push(b) > 0,
    end: () => {
      ended = true;
    },
    destroy: () => {
      ended = true;
    },
    pause: () => {},
    resume: () => {},
  } as unknown as Socket;
  const events: WireEvents = { message: (_wire, text) => messages.push(text), close: () => {} };
  const wire = new Wire(socket, events, maxPayload);
  return { wire, messages, written, ended: () => ended };
};

const feedInPieces = (wire: Wire, bytes: Buffer, size: number): void => {
  for (let at = 0; at < bytes.length; at += size) wire.feed(bytes.subarray(at, at + size));
};

test("messages cut at every byte arrive whole, in order, however TCP split them", () => {
  const { wire, messages } = harness(65536);
  const texts = ["hello", "é✓ ünïcode", "x".repeat(200), "y".repeat(70_000 - 10_000)];
  const bytes = Buffer.concat(texts.map((t) => frame(1, Buffer.from(t))));
  feedInPieces(wire, bytes, 1);
  assert.deepEqual(messages, texts);
});

test("an 8 MiB message in 1 KiB reads is joined once, not once per read (a quadratic copy would take many seconds)", () => {
  const { wire, messages, ended } = harness(16 * 1024 * 1024);
  const text = "abcdefgh".repeat(1024 * 1024);
  const started = performance.now();
  feedInPieces(wire, frame(1, Buffer.from(text)), 1024);
  const took = performance.now() - started;
  assert.equal(messages.length, 1);
  assert.equal(messages[0], text);
  assert.equal(ended(), false);
  assert.ok(took < 3000, `took ${Math.round(took)} ms`);
});

test("a message over the limit is refused with 1009 before its body is read", () => {
  const { wire, messages, written, ended } = harness(1024);
  const big = frame(1, Buffer.alloc(4096, 0x61));
  wire.feed(big.subarray(0, 8)); // its header alone: 2 bytes, the 16-bit length, the mask
  assert.equal(messages.length, 0);
  assert.equal(ended(), true);
  const close = written.at(-1);
  assert.ok(close);
  assert.equal(close[0], 0x88);
  assert.equal(close.readUInt16BE(2), 1009);
  assert.equal(wire.failCode, 1009);
});

test("fragments with a ping between them make one message, and the ping is answered", () => {
  const { wire, messages, written } = harness(65536);
  wire.feed(
    Buffer.concat([
      frame(1, Buffer.from("one "), false),
      frame(9, Buffer.from("are you there")),
      frame(0, Buffer.from("two"), true),
    ]),
  );
  assert.deepEqual(messages, ["one two"]);
  const pong = written.find((b) => b[0] === 0x8a);
  assert.ok(pong);
  assert.equal(pong.subarray(2).toString(), "are you there");
});

test("invalid UTF-8 in a text message closes with 1007", () => {
  const { wire, messages, written } = harness(65536);
  wire.feed(frame(1, Buffer.from([0xc3, 0x28])));
  assert.deepEqual(messages, []);
  assert.equal(written.at(-1)?.readUInt16BE(2), 1007);
});
