// test-runner: alone (a load generator: latency figures, and it loads the machine)
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { connectMany } from "../../bench/lib/connect-many.ts";
import { type RawClient, Recorder } from "../../bench/lib/raw-ws.ts";
import { sleep } from "../../bench/lib/servers.ts";
import { runStep } from "../../bench/lib/traffic.ts";
import type { RunningParley } from "../../src/server.ts";
import { connect, type TestClient } from "../helpers/client.ts";
import { startTestParley } from "../helpers/parley.ts";

// The bench's numbers are only as true as its load generator's counting: run it against a real
// Parley for a second and check every delivery is counted once, against an independent `ws` client.
let parley: RunningParley;
before(async () => {
  parley = await startTestParley({ store: "memory" });
});
after(async () => {
  await parley.close();
});

test("the load generator counts every delivery once and reads the send time", async () => {
  const recorder = new Recorder();
  const { clients, failed } = await connectMany(20, 5, (i) => ({
    port: parley.wsPort,
    path: "/chat/generator-check",
    dialect: "ws",
    recorder,
    sampleLatency: i % 2 === 0,
  }));
  const witness: TestClient = await connect(`ws://127.0.0.1:${parley.wsPort}/chat/generator-check`);
  try {
    assert.equal(failed, 0);
    const senders = [clients[0], clients[7]] as RawClient[];
    const step = await runStep({ senders, recorder, fanout: 21, sendRate: 100, warmMs: 200, measureMs: 800 });
    assert.ok(step.sent >= 50, `sent only ${step.sent}`);
    // Everything sent reaches all 20 generator clients and the witness, the sender included.
    await witness.waitForCount(step.sent, 5000);
    for (let waited = 0; recorder.delivered < step.sent * 20 && waited < 5000; waited += 50) await sleep(50);
    await sleep(200); // a duplicate would show up now
    assert.equal(recorder.delivered, step.sent * 20);
    for (const client of clients) assert.equal(client.received, step.sent);
    assert.equal(witness.frames.length, step.sent);
    assert.match(witness.frames[0] as string, /^user-\d+: \d{16} x+$/);
    // Latency was read from the payload: present, positive and plausible on loopback.
    assert.ok(step.p50Ms !== null && step.p50Ms > 0 && step.p50Ms < 5000, `p50 ${step.p50Ms}`);
    assert.ok(step.delivered > 0);
  } finally {
    for (const c of clients) c.destroy();
    await witness.close();
  }
});

test("a sender's held burst reaches the server as separate messages, in order", async () => {
  const recorder = new Recorder();
  const { clients, failed } = await connectMany(3, 3, () => ({
    port: parley.wsPort,
    path: "/chat/generator-burst",
    dialect: "ws",
    recorder,
  }));
  const witness: TestClient = await connect(`ws://127.0.0.1:${parley.wsPort}/chat/generator-burst`);
  try {
    assert.equal(failed, 0);
    const sender = clients[0] as RawClient;
    // What runStep does when a sender has several sends due in one tick: one write for all five.
    sender.hold();
    for (let i = 0; i < 5; i++) sender.say(`burst ${i}`);
    sender.release();
    const frames = await witness.waitForCount(5, 5000);
    assert.deepEqual(
      frames.map((f) => f.replace(/^user-\d+: /, "")),
      ["burst 0", "burst 1", "burst 2", "burst 3", "burst 4"],
    );
    for (let waited = 0; recorder.delivered < 15 && waited < 5000; waited += 50) await sleep(50);
    assert.equal(recorder.delivered, 15);
  } finally {
    for (const c of clients) c.destroy();
    await witness.close();
  }
});
