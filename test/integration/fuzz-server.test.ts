import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import fc from "fast-check";
import { isParleyError } from "../../src/chat/errors.ts";
import { decodeClientFrame } from "../../src/protocol/json.ts";
import type { RunningParley } from "../../src/server.ts";
import { anyText, frameLike } from "../helpers/arbitraries.ts";
import { connect } from "../helpers/client.ts";
import { connectJson, type Event, historyMessages } from "../helpers/json.ts";
import { startTestParley } from "../helpers/parley.ts";
import { clientFrame, RawClient } from "../helpers/raw.ts";

/** What a JSON client must get back for a frame, whatever the server's state: an answer or an error. */
const ANSWERS: Record<string, (e: Event) => boolean> = {
  send: (e) => e.type === "ack",
  nick: (e) => e.type === "nick",
  join: (e) => e.type === "joined",
  leave: (e) => e.type === "left",
  who: (e) => e.type === "presence" && e.action === "snapshot",
  history: (e) => e.type === "history",
};

/** Close codes Parley documents for bad input at the WebSocket level. */
const DOCUMENTED_CLOSES = new Set([1002, 1007, 1008, 1009]);

const ROOMS = ["fuzz", "fuzz-b", "lobby"];

describe("fuzzing a running server", { timeout: 90_000 }, () => {
  let parley: RunningParley;
  const acks = new Map<string, Map<number, string>>(); // room → seq → text, for messages acked as new
  before(async () => {
    parley = await startTestParley();
  });
  after(() => parley.close());

  test("random and malformed JSON frames: each gets its answer or an error event with the expected code", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(
            frameLike.map((f) => JSON.stringify(f)),
            fc.json(),
            fc.string(),
            // Well-formed sends too, so rooms fill up while the garbage flies.
            fc
              .record({ text: anyText, cid: fc.option(fc.string({ maxLength: 8 }), { nil: undefined }) })
              .map((f) => JSON.stringify({ type: "send", ...f })),
          ),
          {
            minLength: 5,
            maxLength: 25,
            size: "max",
          },
        ),
        async (frames) => {
          const client = await connectJson(`ws://127.0.0.1:${parley.port}/chat/fuzz`);
          await client.untilJoined("fuzz");
          for (const raw of frames) {
            let expected: (e: Event) => boolean;
            let errorCode: string | undefined;
            let text: string | undefined;
            try {
              const frame = decodeClientFrame(raw);
              if (frame.type === "send") text = frame.text;
              expected = ANSWERS[frame.type] as (e: Event) => boolean;
            } catch (error) {
              assert.ok(isParleyError(error));
              errorCode = error.code;
              expected = () => false;
            }
            client.raw.send(raw);
            const answer = await client.expect((e) => e.type === "error" || expected(e), 5000);
            if (errorCode) assert.equal(answer.code, errorCode, `${raw} → ${JSON.stringify(answer)}`);
            if (answer.type === "ack" && answer.duplicate === false) {
              const seqs = acks.get(answer.room as string) ?? new Map<number, string>();
              assert.ok(!seqs.has(answer.seq as number), "a seq is never given twice");
              acks.set(answer.room as string, seqs.set(answer.seq as number, text as string));
            }
          }
          await client.close();
        },
      ),
      { numRuns: 40 },
    );
  });

  test("random text-mode lines: each gets an echo or a ` .... ` line", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(
            fc.string({ unit: "binary" }),
            fc.string().map((s) => `/nick ${s}`),
            fc.constant("/who"),
            fc.constant("/nick"),
          ),
          { minLength: 5, maxLength: 20, size: "max" },
        ),
        async (lines) => {
          const client = await connect(`ws://127.0.0.1:${parley.wsPort}/chat/fuzz`);
          for (const line of lines) {
            client.send(line);
            const reply = await client.next();
            // A lone surrogate cannot travel in UTF-8: the client's encoder sends U+FFFD instead.
            const sent = Buffer.from(line).toString("utf8");
            assert.ok(reply.startsWith(" .... ") || reply.endsWith(`: ${sent}`), `${JSON.stringify(line)} → ${reply}`);
          }
          await client.close();
        },
      ),
      { numRuns: 25 },
    );
  });

  test("random bytes after the handshake: a documented close code or nothing, and the server lives on", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ minLength: 1, maxLength: 300 }),
          fc
            .record({
              opcode: fc.integer({ min: 0, max: 15 }),
              rsv: fc.integer({ min: 0, max: 7 }),
              fin: fc.boolean(),
              mask: fc.boolean(),
              payload: fc.uint8Array({ maxLength: 200 }),
            })
            .map((spec) => new Uint8Array(clientFrame({ ...spec, payload: Buffer.from(spec.payload) }))),
        ),
        async (bytes) => {
          const raw = await RawClient.open(parley.wsPort, "/chat/fuzz");
          assert.equal(raw.status, 101);
          raw.write(Buffer.from(bytes));
          const code = await raw.closeCode(150).catch(() => "open");
          // A well-formed close frame among the bytes is answered with its own code: that is the protocol.
          const sentClose = ((bytes[0] as number) & 0x0f) === 0x8;
          if (typeof code === "number" && !sentClose) assert.ok(DOCUMENTED_CLOSES.has(code), `close ${code}`);
          raw.destroy();
        },
      ),
      { numRuns: 60 },
    );
    const probe = await connect(`ws://127.0.0.1:${parley.wsPort}/chat/fuzz`);
    probe.send("still alive");
    assert.match(await probe.next(), /: still alive$/);
    await probe.close();
  });

  test("after all that, every room's history is seq 1..n with no gap, holding every acked message", async () => {
    let acked = 0;
    for (const room of ROOMS) {
      const reader = await connectJson(`ws://127.0.0.1:${parley.port}/chat/${room}?since=0`);
      checkRoom(room, historyMessages((await reader.untilJoined(room)).history));
      await reader.close();
      acked += acks.get(room)?.size ?? 0;
    }
    assert.ok(acked > 0, "the fuzzing did store messages");
  });

  const checkRoom = (room: string, messages: Array<Record<string, unknown>>) => {
    const seqs = messages.map((m) => m.seq as number);
    assert.deepEqual(
      seqs,
      seqs.map((_, i) => i + 1),
      `${room}: seq 1..n`,
    );
    // Text-mode lines are stored too (without an ack): the acked ones are a subset, each at its seq.
    for (const [seq, text] of acks.get(room) ?? [])
      assert.equal(messages[seq - 1]?.text, text, `${room}: acked seq ${seq}`);
  };
});
