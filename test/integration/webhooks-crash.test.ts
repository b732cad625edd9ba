import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ADMIN_TOKEN, call, createEndpoint, createKey } from "../helpers/api.ts";
import { type ChildParley, spawnParley } from "../helpers/child.ts";
import { tempDir } from "../helpers/parley.ts";
import { WebhookReceiver } from "../helpers/webhook-receiver.ts";

const kill9 = async (parley: ChildParley): Promise<void> => {
  parley.child.kill("SIGKILL");
  assert.equal(await parley.exited, "SIGKILL");
};

describe("webhooks across kill -9", () => {
  test("every stored message reaches the endpoint, each webhook-id counted once, through two crashes", async () => {
    const receiver = await WebhookReceiver.start();
    const dataDir = tempDir();
    const args = ["--data-dir", dataDir, "--admin-token", ADMIN_TOKEN, "--sqlite-sync", "full"];
    let parley = await spawnParley(args);
    try {
      const key = (await createKey(parley.port, { name: "ci", rooms: ["*"], rights: ["publish"] })).secret;
      receiver.secret = (await createEndpoint(parley.port, { url: receiver.url, rooms: ["*"] })).secret;
      const publish = async (port: number, n: number) => {
        const answer = await call(port, "POST", `/api/v1/rooms/${n % 2 ? "ops" : "dev"}/messages`, {
          auth: key,
          body: { text: `m${n}` },
        });
        assert.equal(answer.status, 201, JSON.stringify(answer.body));
      };
      // The endpoint is down: every message is acknowledged and waits in history.
      receiver.answer = () => 503;
      for (let n = 1; n <= 10; n++) await publish(parley.port, n);
      await receiver.until((r) => r.attempts.length >= 1);
      await kill9(parley);

      receiver.answer = () => 204;
      parley = await spawnParley(args);
      for (let n = 11; n <= 30; n++) await publish(parley.port, n);
      // Killed while delivering (at least one arrived, not yet all).
      await receiver.until((r) => r.events.length >= 1, 15_000);
      await kill9(parley);
      const beforeSecondCrash = receiver.events.length;

      parley = await spawnParley(args);
      await receiver.until((r) => r.events.length === 30, 20_000);
      const texts = receiver.events.map((e) => e.text).sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)));
      assert.deepEqual(
        texts,
        Array.from({ length: 30 }, (_, i) => `m${i + 1}`),
      );
      // Per room in seq order, whatever was repeated.
      for (const room of ["ops", "dev"]) {
        const seqs = receiver.events.filter((e) => e.room === room).map((e) => e.seq);
        assert.deepEqual(
          seqs,
          Array.from({ length: 15 }, (_, i) => i + 1),
        );
      }
      const delivered = receiver.attempts.filter((a) => a.valid);
      process.stdout.write(
        `# kill -9: ${beforeSecondCrash}/30 delivered before the second crash; ${delivered.length} valid attempts for 30 ids\n`,
      );
      assert.ok(receiver.attempts.every((a) => a.valid));
    } finally {
      parley.child.kill("SIGKILL");
      await parley.exited;
      await receiver.close();
    }
  });
});
