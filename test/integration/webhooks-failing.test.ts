// test-runner: alone (compares fan-out latency and times retry gaps)
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ADMIN_TOKEN, call, createEndpoint } from "../helpers/api.ts";
import { connectJson, ofType } from "../helpers/json.ts";
import { startTestParley } from "../helpers/parley.ts";
import { WebhookReceiver } from "../helpers/webhook-receiver.ts";

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
};

describe("a failing webhook endpoint", () => {
  test("backs off and is disabled with its reason, while chat fan-out and a healthy endpoint go on", async () => {
    const parley = await startTestParley({
      adminToken: ADMIN_TOKEN,
      webhookTimeoutMs: 300,
      webhookDisableAfterMs: 2500,
    });
    const good = await WebhookReceiver.start();
    const failing = await WebhookReceiver.start();
    const hanging = await WebhookReceiver.start();
    const base = `ws://127.0.0.1:${parley.wsPort}/chat/lobby`;
    const sender = await connectJson(base);
    const listener = await connectJson(base);
    try {
      await sender.untilJoined("lobby");
      await listener.untilJoined("lobby");
      let n = 0;
      /** Time from a send to its broadcast reaching another member, ms. */
      const fanOut = async (count: number): Promise<number[]> => {
        const times: number[] = [];
        for (let i = 0; i < count; i++) {
          const text = `m${++n}`;
          const started = performance.now();
          sender.send({ type: "send", text, cid: text });
          await listener.expect(ofType("message", { text }));
          times.push(performance.now() - started);
          // Paced, so deliveries to the endpoints overlap the measured messages.
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        return times;
      };
      const none = await fanOut(40);
      const { port } = parley;
      const register = async (receiver: WebhookReceiver) => {
        const made = await createEndpoint(port, { url: receiver.url, rooms: ["lobby"] });
        receiver.secret = made.secret;
        return made.id;
      };
      const goodId = await register(good);
      // The baseline: chat with a healthy endpoint delivering (its requests share the event loop).
      const baseline = await fanOut(40);
      await good.until((r) => r.events.length === 40);

      failing.answer = () => 500;
      hanging.answer = () => "hang";
      const ids = { failing: await register(failing), hanging: await register(hanging) };
      const started = Date.now();
      const during = await fanOut(40);
      await hanging.until((r) => r.attempts.length >= 1);
      // The hanging endpoint holds a request open: chat is not waiting for it.
      const whileHanging = await fanOut(20);
      const withBad = median([...during, ...whileHanging]);
      const ratio = withBad / median(baseline);
      process.stdout.write(
        `# fan-out median: ${median(none).toFixed(2)} ms with no endpoint, ${median(baseline).toFixed(2)} ms with a healthy one, ` +
          `${withBad.toFixed(2)} ms with a failing and a hanging one added (ratio to healthy ${ratio.toFixed(2)})\n`,
      );
      // Fan-out that waited on the hanging endpoint would take its 300 ms timeout: hundreds of times the
      // baseline. The bound leaves room for a loaded machine's noise (the ratio is printed above).
      assert.ok(ratio < 10, `fan-out slowed ${ratio.toFixed(2)}x by failing endpoints`);

      // Every message, in order (an attempt the loaded machine answered past the 300 ms timeout is repeated: dedupe by id).
      await good.until((r) => r.events.length === 100);
      assert.deepEqual(
        good.events.map((e) => e.text),
        Array.from({ length: 100 }, (_, i) => `m${i + 41}`),
      );
      assert.equal(
        (await call(port, "GET", "/admin/api/webhooks", { auth: ADMIN_TOKEN })).body.endpoints[0].id,
        goodId,
      );
      const disabled = async (id: string) => {
        const deadline = Date.now() + 10_000;
        for (;;) {
          const all = (await call(port, "GET", "/admin/api/webhooks", { auth: ADMIN_TOKEN })).body.endpoints;
          const endpoint = all.find((e: { id: string }) => e.id === id);
          if (endpoint.disabledAt !== null) return endpoint;
          assert.ok(Date.now() < deadline, `not disabled: ${JSON.stringify(endpoint)}`);
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      };
      const failed = await disabled(ids.failing);
      assert.ok(failed.disabledAt - started >= 2500, "not before the stated period");
      assert.equal(failed.lastStatus, 500);
      assert.match(failed.disabledReason, /Every attempt failed since .* in a row\); the last: HTTP 500/);
      assert.ok(failed.figures.failed >= 3 && failed.figures.delivered === 0, JSON.stringify(failed.figures));
      const hung = await disabled(ids.hanging);
      assert.equal(hung.lastStatus, null);
      assert.match(hung.disabledReason, /no answer within 300 ms/);
      // Backoff: the same first message retried, each wait about twice the one before (jittered).
      const times = failing.attempts.map((a) => a.at);
      assert.ok(new Set(failing.attempts.map((a) => a.id)).size === 1, "retries repeat the first message");
      const gaps = times.slice(1).map((t, i) => t - (times[i] as number));
      assert.ok(gaps.length >= 2 && gaps.length <= 4, `attempts: ${times.length}`);
      assert.ok((gaps[0] as number) >= 450 && (gaps[1] as number) >= 950, `gaps: ${gaps}`);
      const count = failing.attempts.length;
      await new Promise((resolve) => setTimeout(resolve, 1000));
      assert.equal(failing.attempts.length, count, "a disabled endpoint gets nothing more");
    } finally {
      await sender.close();
      await listener.close();
      await parley.close();
      for (const r of [good, failing, hanging]) await r.close();
    }
  });
});
