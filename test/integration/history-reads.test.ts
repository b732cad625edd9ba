import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { RunningParley } from "../../src/server.ts";
import { connectJson, type Event, ofType } from "../helpers/json.ts";
import { startTestParley } from "../helpers/parley.ts";
import { parsePrometheus, sampleValue } from "../helpers/prometheus.ts";
import { clientFrame, RawClient } from "../helpers/raw.ts";

const MAX_QUEUE = 256 * 1024;

describe("history reads: one at a time per connection, in parts, bounded", { timeout: 60_000 }, () => {
  let parley: RunningParley;
  before(async () => {
    parley = await startTestParley({ maxQueueBytes: MAX_QUEUE });
  });
  after(() => parley.close());

  test("a page of big messages arrives whole and in order, in parts of at most a quarter of the queue cap", async () => {
    const sender = await connectJson(`ws://127.0.0.1:${parley.port}/chat/pages`);
    await sender.untilJoined("pages");
    for (let i = 1; i <= 60; i++) sender.send({ type: "send", text: `${i} ${"p".repeat(20_000)}`, cid: `${i}` });
    for (let i = 1; i <= 60; i++) await sender.expect(ofType("ack"));
    sender.send({ type: "history", room: "pages", before: 61, limit: 500 });
    const parts: Event[] = [];
    let seqs: number[] = [];
    while (seqs.length < 60) {
      const part = await sender.expect(ofType("history", { room: "pages" }));
      parts.push(part);
      seqs = seqs.concat((part.messages as Array<{ seq: number }>).map((m) => m.seq));
    }
    assert.deepEqual(
      seqs,
      Array.from({ length: 60 }, (_, i) => i + 1),
    );
    assert.ok(parts.length >= 60 / 4, `${parts.length} parts`);
    for (const part of parts)
      assert.ok(JSON.stringify(part).length <= MAX_QUEUE / 4 + 21_000, "a part fits the budget");
    await sender.close();
  });

  test("history requests past 8 waiting are answered `busy` with their room, counted in /metrics; later ones are served", async () => {
    const raw = await RawClient.open(parley.port, "/chat/busy", { headers: { "Sec-WebSocket-Protocol": "parley.v1" } });
    const nextEvent = async (): Promise<Event> => {
      for (;;) {
        const frame = await raw.next(10_000);
        assert.ok(frame && frame.opcode !== 0x8, "still open");
        if (frame.opcode === 0x1) return JSON.parse(frame.payload.toString()) as Event;
      }
    };
    while ((await nextEvent()).type !== "joined") {}
    // 20 requests in one TCP write: they are all read in one go, before the first is answered.
    const request = JSON.stringify({ type: "history", room: "busy", before: 100, limit: 50 });
    raw.write(Buffer.concat(Array.from({ length: 20 }, () => clientFrame({ opcode: 0x1, payload: request }))));
    const answers: Event[] = [];
    while (answers.length < 20) answers.push(await nextEvent());
    const busy = answers.filter((e) => e.type === "error");
    assert.equal(answers.filter((e) => e.type === "history").length, 8);
    assert.equal(busy.length, 12);
    for (const e of busy) {
      assert.equal(e.code, "busy");
      assert.equal(e.room, "busy");
    }
    raw.write(clientFrame({ opcode: 0x1, payload: request }));
    assert.equal((await nextEvent()).type, "history", "served again once the queue emptied");
    const metrics = parsePrometheus(await (await fetch(`http://127.0.0.1:${parley.port}/metrics`)).text());
    assert.equal(sampleValue(metrics, "parley_frames_dropped_total", { reason: "busy" }), 12);
    raw.destroy();
  });
});
