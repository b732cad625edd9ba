import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { ADMIN_TOKEN, call, createEndpoint, createKey } from "../helpers/api.ts";
import { startTestParley } from "../helpers/parley.ts";
import { parsePrometheus, sampleValue } from "../helpers/prometheus.ts";
import { newSecret } from "../helpers/tokens.ts";
import { WebhookReceiver } from "../helpers/webhook-receiver.ts";

const publish = async (port: number, key: string, room: string, text: string): Promise<number> => {
  const answer = await call(port, "POST", `/api/v1/rooms/${room}/messages`, { auth: key, body: { text } });
  assert.equal(answer.status, 201, JSON.stringify(answer.body));
  return answer.body.message.seq;
};

describe("outgoing webhooks", () => {
  const receivers: WebhookReceiver[] = [];
  after(async () => {
    for (const r of receivers) await r.close();
  });
  const receiver = async () => {
    const r = await WebhookReceiver.start();
    receivers.push(r);
    return r;
  };

  test("signed deliveries of what is stored after the endpoint exists; private rooms only to endpoints naming them", async () => {
    const parley = await startTestParley({ adminToken: ADMIN_TOKEN, authSecret: newSecret(), privateRooms: "vault" });
    try {
      const { port } = parley;
      const key = (await createKey(port, { name: "ci", rooms: ["*"], rights: ["publish"] })).secret;
      await publish(port, key, "deploys", "before the endpoint");
      const wide = await receiver();
      const named = await receiver();
      const made = await createEndpoint(port, { url: wide.url, rooms: ["*"] });
      assert.match(made.secret, /^whsec_[A-Za-z0-9+/=]{40,}$/);
      wide.secret = made.secret;
      named.secret = (await createEndpoint(port, { url: named.url, rooms: ["vault", "deploys"] })).secret;
      await publish(port, key, "deploys", "one");
      await publish(port, key, "vault", "secret plans");
      await publish(port, key, "lobby", "hello");
      await wide.until((r) => r.events.length === 2);
      await named.until((r) => r.events.length === 2);
      assert.deepEqual(wide.events.map((e) => [e.type, e.room, e.seq, e.text, e.nick]).sort(), [
        ["message.created", "deploys", 2, "one", "bot:ci"],
        ["message.created", "lobby", 1, "hello", "bot:ci"],
      ]);
      assert.deepEqual(named.events.map((e) => [e.room, e.text]).sort(), [
        ["deploys", "one"],
        ["vault", "secret plans"],
      ]);
      assert.ok(
        [...wide.attempts, ...named.attempts].every((a) => a.valid),
        "every signature verifies",
      );
      assert.ok(wide.events.every((e) => /^msg_[0-9a-f-]{36}$/.test(e.id)));
      // The wide endpoint never saw the private room, even once.
      await new Promise((resolve) => setTimeout(resolve, 400));
      assert.equal(wide.attempts.length, 2);

      const listed = await call(port, "GET", "/admin/api/webhooks", { auth: ADMIN_TOKEN });
      assert.equal(listed.status, 200);
      assert.equal(listed.body.endpoints.length, 2);
      const shown = listed.body.endpoints.find((e: { id: string }) => e.id === made.id);
      assert.equal(shown.secret, undefined, "the secret is shown once, at creation");
      assert.equal(shown.figures.delivered, 2);
      assert.equal(shown.lastStatus, 204);
      const metrics = parsePrometheus(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text());
      assert.equal(
        sampleValue(metrics, "parley_webhook_attempts_total", { endpoint: made.id, result: "delivered" }),
        2,
      );

      // Disabled: nothing more; enabled again: what was stored meanwhile arrives.
      const off = await call(port, "PATCH", `/admin/api/webhooks/${made.id}`, {
        auth: ADMIN_TOKEN,
        body: { enabled: false },
      });
      assert.equal(off.status, 200);
      assert.equal(off.body.disabledReason, "Disabled by an administrator.");
      await publish(port, key, "deploys", "while off");
      await named.until((r) => r.events.length === 3);
      await new Promise((resolve) => setTimeout(resolve, 400));
      assert.equal(wide.events.length, 2);
      const on = await call(port, "PATCH", `/admin/api/webhooks/${made.id}`, {
        auth: ADMIN_TOKEN,
        body: { enabled: true },
      });
      assert.equal(on.body.disabledAt, null);
      await wide.until((r) => r.events.length === 3);
      assert.equal(wide.events[2]?.text, "while off");
      const deleted = await call(port, "DELETE", `/admin/api/webhooks/${made.id}`, { auth: ADMIN_TOKEN });
      assert.equal(deleted.status, 200);
      assert.equal((await call(port, "DELETE", `/admin/api/webhooks/${made.id}`, { auth: ADMIN_TOKEN })).status, 404);
    } finally {
      await parley.close();
    }
  });

  test("bad admin input gets a problem document, never a stack trace", async () => {
    const parley = await startTestParley({ adminToken: ADMIN_TOKEN });
    try {
      const { port } = parley;
      const bad = [
        { url: "ftp://example.com/x", events: ["message.created"], rooms: ["*"] },
        { url: "https://user:pw@example.com/x", events: ["message.created"], rooms: ["*"] },
        { url: "not a url", events: ["message.created"], rooms: ["*"] },
        { url: "https://example.com/x", events: ["presence.joined"], rooms: ["*"] },
        { url: "https://example.com/x", events: [], rooms: ["*"] },
        { url: "https://example.com/x", events: ["message.created"], rooms: ["bad room"] },
        { url: "https://example.com/x", events: ["message.created"] },
        "{not json",
        [1, 2],
      ];
      for (const body of bad) {
        const answer = await call(port, "POST", "/admin/api/webhooks", { auth: ADMIN_TOKEN, body });
        assert.equal(answer.status, 400, JSON.stringify(body));
        assert.equal(answer.headers.get("content-type"), "application/problem+json");
        assert.equal(typeof answer.body.detail, "string");
        assert.doesNotMatch(answer.body.detail, /\bat .*\.ts:\d+/);
      }
      const wrong = await call(port, "GET", "/admin/api/webhooks", { auth: "not-the-token" });
      assert.equal(wrong.status, 401);
      assert.equal(wrong.headers.get("content-type"), "application/problem+json");
      const patch = await call(port, "PATCH", "/admin/api/webhooks/ep_nope", {
        auth: ADMIN_TOKEN,
        body: { enabled: "yes" },
      });
      assert.equal(patch.status, 400);
      const missing = await call(port, "PATCH", "/admin/api/webhooks/ep_nope", {
        auth: ADMIN_TOKEN,
        body: { enabled: false },
      });
      assert.equal(missing.status, 404);
      assert.equal(missing.body.code, "bad_request");
    } finally {
      await parley.close();
    }
  });
});
