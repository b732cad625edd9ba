import assert from "node:assert/strict";
import { after, test } from "node:test";
import { ADMIN_TOKEN, createEndpoint } from "../helpers/api.ts";
import { connectJson, ofType } from "../helpers/json.ts";
import { startTestParley } from "../helpers/parley.ts";
import { WebhookReceiver } from "../helpers/webhook-receiver.ts";

const receivers: WebhookReceiver[] = [];
after(async () => {
  for (const r of receivers) await r.close();
});

test("webhooks carry edits, deletions and reactions to endpoints that ask for them, in the room's order", async () => {
  const parley = await startTestParley({ adminToken: ADMIN_TOKEN });
  try {
    const all = await WebhookReceiver.start();
    const created = await WebhookReceiver.start();
    receivers.push(all, created);
    all.secret = (
      await createEndpoint(parley.port, {
        url: all.url,
        rooms: ["hooks-changes"],
        events: ["message.created", "message.edited", "message.deleted", "message.reacted"],
      })
    ).secret;
    created.secret = (await createEndpoint(parley.port, { url: created.url, rooms: ["hooks-changes"] })).secret;

    const alice = await connectJson(`ws://127.0.0.1:${parley.wsPort}/chat/hooks-changes`);
    await alice.untilJoined("hooks-changes");
    const room = "hooks-changes";
    alice.send({ type: "send", text: "helo", cid: "m1" });
    const sent = await alice.expect(ofType("ack", { cid: "m1" }));
    alice.send({ type: "edit", room, seq: sent.seq, text: "hello", cid: "e1" });
    await alice.expect(ofType("ack", { cid: "e1" }));
    alice.send({ type: "react", room, seq: sent.seq, emoji: "👍", cid: "r1" });
    await alice.expect(ofType("ack", { cid: "r1" }));
    alice.send({ type: "send", text: "oops", cid: "m2" });
    const second = await alice.expect(ofType("ack", { cid: "m2" }));
    alice.send({ type: "delete", room, seq: second.seq, cid: "d1" });
    await alice.expect(ofType("ack", { cid: "d1" }));
    await alice.close();

    await all.until((r) => r.events.length === 5);
    await created.until((r) => r.events.length === 2);
    assert.deepEqual(
      all.events.map((e) => [e.type, e.seq, e.change?.target.seq ?? null]),
      [
        ["message.created", 1, null],
        ["message.edited", 2, 1],
        ["message.reacted", 3, 1],
        ["message.created", 4, null],
        ["message.deleted", 5, 4],
      ],
    );
    assert.equal(all.events[1]?.change?.target.text, "hello", "an edit carries the message's new text");
    assert.equal(all.events[4]?.change?.target.deleted, true);
    assert.equal(all.events[4]?.change?.target.text, "", "a deleted message's text is not sent");
    assert.deepEqual(
      created.events.map((e) => e.type),
      ["message.created", "message.created"],
      "an endpoint that asked for messages only gets messages",
    );
    assert.ok(
      all.attempts.every((a) => a.valid),
      "every signature verifies",
    );
  } finally {
    await parley.close();
  }
});
