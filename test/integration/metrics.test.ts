import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { RunningParley } from "../../src/server.ts";
import { SqliteStore } from "../../src/store/sqlite.ts";
import { connect } from "../helpers/client.ts";
import { connectJson, ofType } from "../helpers/json.ts";
import { startTestParley, tempDir } from "../helpers/parley.ts";
import { type Family, parsePrometheus, sampleValue } from "../helpers/prometheus.ts";

const scrape = async (port: number): Promise<{ text: string; families: Map<string, Family> }> => {
  const response = await fetch(`http://127.0.0.1:${port}/metrics`);
  assert.equal(response.status, 200);
  assert.match(response.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
  const text = await response.text();
  return { text, families: parsePrometheus(text) };
};

describe("/metrics after real chat traffic", () => {
  let parley: RunningParley;
  before(async () => {
    parley = await startTestParley({ retainMessages: 3, maxPayload: 1024 });
  });
  after(() => parley.close());

  test("families are well-formed and typed", async () => {
    const { families } = await scrape(parley.port);
    const expected: Record<string, Family["type"]> = {
      parley_connections: "gauge",
      parley_connections_opened_total: "counter",
      parley_connections_closed_total: "counter",
      parley_handshakes_refused_total: "counter",
      parley_frames_dropped_total: "counter",
      parley_rooms: "gauge",
      parley_members: "gauge",
      parley_messages_in_total: "counter",
      parley_messages_out_total: "counter",
      parley_messages_duplicate_total: "counter",
      parley_bytes_out_total: "counter",
      parley_store_write_seconds: "histogram",
      parley_broadcast_seconds: "histogram",
      parley_resumes_total: "counter",
      parley_nick_requests_total: "counter",
      parley_errors_sent_total: "counter",
      parley_store_up: "gauge",
      parley_broker_up: "gauge",
    };
    for (const [name, type] of Object.entries(expected)) {
      assert.equal(families.get(name)?.type, type, `${name} is a ${type}`);
      assert.ok(families.get(name)?.help, `${name} has help`);
    }
    assert.equal(sampleValue(families, "parley_store_up"), 1);
    assert.equal(sampleValue(families, "parley_broker_up"), 1);
  });

  test("counters and histograms move with messages, resumes and closes; no room name in any label", async () => {
    const before = (await scrape(parley.port)).families;
    const room = "ops-secret-room";
    const base = `ws://127.0.0.1:${parley.wsPort}/chat/${room}`;
    const json = await connectJson(base);
    await json.untilJoined(room);
    const text = await connect(base);
    const during = (await scrape(parley.port)).families;
    assert.equal(sampleValue(during, "parley_connections", { mode: "json" }), 1);
    assert.equal(sampleValue(during, "parley_connections", { mode: "text" }), 1);
    assert.equal(sampleValue(during, "parley_rooms"), 1);
    assert.equal(sampleValue(during, "parley_members"), 2);

    for (let i = 1; i <= 5; i++) {
      json.send({ type: "send", text: `m${i}`, cid: `c${i}` });
      await json.expect(ofType("ack", { cid: `c${i}` }));
    }
    json.send({ type: "send", text: "m5", cid: "c5" }); // the same cid again: acked as a duplicate
    assert.equal((await json.expect(ofType("ack", { cid: "c5" }))).duplicate, true);
    text.send("from text");
    await text.nextMatching((f) => f.endsWith(": from text"));

    // Resumes: from seq 4 the gap is held (complete); from 0 retention (3 messages) lost part of it.
    json.send({ type: "leave", room });
    await json.expect(ofType("left"));
    json.send({ type: "join", room, since: 4 });
    assert.equal(((await json.untilJoined(room)).joined.resume as { complete: boolean }).complete, true);
    json.send({ type: "leave", room });
    await json.expect(ofType("left"));
    json.send({ type: "join", room, since: 0 });
    assert.equal(((await json.untilJoined(room)).joined.resume as { complete: boolean }).complete, false);

    // A frame over the 1024-byte limit closes with 1009; a plain close is "normal".
    text.send("x".repeat(2000));
    assert.equal((await text.closed).code, 1009);
    await json.close();
    await waitFor(async () => sampleValue((await scrape(parley.port)).families, "parley_members") === 0);

    const { text: body, families: now } = await scrape(parley.port);
    const grew = (name: string, labels: Record<string, string> = {}) =>
      sampleValue(now, name, labels) - sampleValue(before, name, labels);
    assert.equal(grew("parley_messages_in_total"), 7); // 6 from JSON (one a duplicate), 1 from text
    assert.equal(grew("parley_messages_duplicate_total"), 1);
    assert.equal(grew("parley_messages_out_total"), 6);
    assert.equal(grew("parley_store_write_seconds_count"), 6);
    assert.equal(grew("parley_broadcast_seconds_count"), 6);
    assert.ok(grew("parley_store_write_seconds_sum") > 0);
    assert.equal(grew("parley_resumes_total", { result: "complete" }), 1);
    assert.equal(grew("parley_resumes_total", { result: "incomplete" }), 1);
    assert.equal(grew("parley_connections_opened_total", { mode: "json" }), 1);
    assert.equal(grew("parley_connections_opened_total", { mode: "text" }), 1);
    assert.equal(grew("parley_connections_closed_total", { reason: "size" }), 1);
    assert.equal(grew("parley_connections_closed_total", { reason: "normal" }), 1);
    assert.equal(sampleValue(now, "parley_connections", { mode: "json" }), 0);
    const received = [...json.raw.frames, ...text.frames].reduce((n, f) => n + Buffer.byteLength(f), 0);
    assert.ok(grew("parley_bytes_out_total") >= received, "every byte a client received was counted");
    assert.ok(!body.includes(room), "room names never appear in metrics");
  });

  test("a bad upgrade is counted as a refusal", async () => {
    const before = (await scrape(parley.port)).families;
    await assert.rejects(connect(`ws://127.0.0.1:${parley.wsPort}/chat/bad room!`));
    const now = (await scrape(parley.port)).families;
    const grew = sampleValue(now, "parley_handshakes_refused_total", { reason: "bad_request" });
    assert.equal(grew - sampleValue(before, "parley_handshakes_refused_total", { reason: "bad_request" }), 1);
  });
});

describe("/healthz and /readyz", () => {
  test("alive and ready; when the store is closed /readyz answers 503 and store_up drops to 0", async () => {
    const store = new SqliteStore({
      file: join(tempDir(), "parley.db"),
      retention: { maxMessagesPerRoom: 0, maxAgeMs: 0 },
      synchronous: "normal",
    });
    const parley = await startTestParley({}, { store });
    try {
      const get = (path: string) => fetch(`http://127.0.0.1:${parley.port}${path}`);
      assert.equal((await get("/healthz")).status, 200);
      const ready = await get("/readyz");
      assert.equal(ready.status, 200);
      assert.equal(((await ready.json()) as { status: string }).status, "ready");

      await store.close();
      const down = await get("/readyz");
      assert.equal(down.status, 503);
      assert.equal(((await down.json()) as { status: string }).status, "unavailable");
      assert.equal((await get("/healthz")).status, 200, "the process is still alive");
      const { families } = await scrape(parley.port);
      assert.equal(sampleValue(families, "parley_store_up"), 0);
      assert.equal(sampleValue(families, "parley_broker_up"), 1);
    } finally {
      await parley.close();
    }
  });
});

const waitFor = async (check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};
