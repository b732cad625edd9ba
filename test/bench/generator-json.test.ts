// test-runner: alone (a load generator: latency figures, and it loads the machine)
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { connectMany } from "../../bench/lib/connect-many.ts";
import { type RawClient, Recorder } from "../../bench/lib/raw-ws.ts";
import { sleep } from "../../bench/lib/servers.ts";
import { runStep } from "../../bench/lib/traffic.ts";
import type { RunningParley } from "../../src/server.ts";
import { startTestParley } from "../helpers/parley.ts";

// The JSON workloads' figures are only as true as the generator's reading of JSON v1 events
// without parsing them: against a real Parley, every send is acked once, every event reaches
// every member once, and the reactions and edits of the mix are accepted (no `error`).
let parley: RunningParley;
before(async () => {
  parley = await startTestParley({ store: "memory" });
});
after(async () => {
  await parley.close();
});

const jsonClients = async (room: string, recorder: Recorder): Promise<RawClient[]> => {
  const { clients, failed } = await connectMany(20, 5, (i) => ({
    port: parley.wsPort,
    path: `/chat/${room}`,
    dialect: "json",
    protocol: "parley.v1",
    room,
    recorder,
    sampleLatency: i % 2 === 0,
  }));
  assert.equal(failed, 0);
  await sleep(300); // welcome, history and presence first: none of them counts
  return clients;
};

const settle = async (recorder: Recorder, deliveries: number, acks: number): Promise<void> => {
  for (let waited = 0; (recorder.delivered < deliveries || recorder.acked < acks) && waited < 5000; waited += 50) {
    await sleep(50);
  }
  await sleep(200); // a duplicate would show up now
};

test("JSON clients: each send acked once, each message delivered to every member once", async () => {
  const recorder = new Recorder();
  const clients = await jsonClients("generator-json", recorder);
  try {
    const senders = [clients[0], clients[7]] as RawClient[];
    const step = await runStep({
      senders,
      recorder,
      fanout: 20,
      sendRate: 100,
      warmMs: 200,
      measureMs: 800,
      acks: true,
    });
    assert.ok(step.sent >= 50, `sent only ${step.sent}`);
    await settle(recorder, step.sent * 20, step.sent);
    assert.equal(recorder.errors, 0, recorder.firstError);
    assert.equal(recorder.acked, step.sent);
    assert.equal(recorder.delivered, step.sent * 20);
    assert.equal(recorder.changes, 0);
    for (const client of clients) assert.equal(client.received, step.sent);
    assert.ok(step.p50Ms !== null && step.p50Ms > 0 && step.p50Ms < 5000, `p50 ${step.p50Ms}`);
    assert.ok(step.ackP99Ms !== null && step.ackP99Ms > 0 && step.ackP99Ms < 5000, `ack p99 ${step.ackP99Ms}`);
  } finally {
    for (const c of clients) c.destroy();
  }
});

test("the mix: reactions and edits of the senders' own messages are accepted, acked and delivered to all", async () => {
  const recorder = new Recorder();
  const clients = await jsonClients("generator-mix", recorder);
  try {
    const senders = [clients[0], clients[7]] as RawClient[];
    const step = await runStep({
      senders,
      recorder,
      fanout: 20,
      sendRate: 100,
      warmMs: 200,
      measureMs: 800,
      acks: true,
      mix: { reactions: 1, edits: 1 },
    });
    await settle(recorder, step.sent * 20, step.sent);
    assert.equal(recorder.errors, 0, recorder.firstError);
    assert.equal(recorder.acked, step.sent);
    // One event per action (message, edit or reaction), to every member; 2 in 10 actions are changes
    // (the first ones of each sender are plain sends, until it has a message of its own to change).
    assert.equal(recorder.delivered, step.sent * 20);
    assert.ok(recorder.changes >= step.sent * 20 * 0.15, `${recorder.changes} of ${recorder.delivered} were changes`);
  } finally {
    for (const c of clients) c.destroy();
  }
});
