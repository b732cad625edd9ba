import assert from "node:assert/strict";
import { after, afterEach, before, describe, test } from "node:test";
import type { HistoryStore } from "../../src/store/history-store.ts";
import { freshState, newEndpointId, type WebhookEndpoint, type WebhookStore } from "../../src/webhooks/endpoints.ts";

/** A history store and the webhook store beside it, in one database. */
export interface WebhookPair {
  history: HistoryStore;
  webhooks: WebhookStore;
}

export interface WebhookStoreSubject {
  name: string;
  skip?: () => Promise<string | false>;
  /** Fresh storage; `open` gives a pair on it (again after closing: the same data when durable). */
  fresh(): Promise<{ open(): Promise<WebhookPair>; cleanup(): Promise<void> }>;
  durable: boolean;
  /** Several nodes share it: leases decide who delivers. */
  shared: boolean;
}

const endpoint = (rooms: string[] = ["*"], at = Date.now()): WebhookEndpoint => ({
  id: newEndpointId(),
  url: "https://example.com/hook",
  events: ["message.created"],
  rooms,
  createdAt: at,
  ...freshState(at),
});

const say = (history: HistoryStore, room: string, text: string) =>
  history.append({ room, nick: "ann", text, ts: Date.now(), cid: undefined });

/** The WebhookStore contract over memory, SQLite and PostgreSQL. */
export const webhookStoreSuite = (subject: WebhookStoreSubject): void => {
  describe(`WebhookStore contract: ${subject.name}`, async () => {
    const reason = (await subject.skip?.()) ?? false;
    let storage: Awaited<ReturnType<WebhookStoreSubject["fresh"]>>;
    const opened: WebhookPair[] = [];
    const open = async () => {
      const pair = await storage.open();
      opened.push(pair);
      return pair;
    };
    const closeAll = async () => {
      for (const pair of opened.splice(0)) {
        await pair.webhooks.close();
        await pair.history.close();
      }
    };
    before(async () => {
      if (!reason) storage = await subject.fresh();
    });
    afterEach(closeAll);
    after(async () => {
      if (!reason) await storage.cleanup();
    });

    test("a new endpoint's cursors start at each room's end; later messages are pending, in every room", {
      skip: reason,
    }, async () => {
      const { history, webhooks } = await open();
      await say(history, "a1", "old");
      await say(history, "a1", "old too");
      const made = endpoint();
      await webhooks.create(made, "whsec_test");
      assert.deepEqual(await webhooks.pending(made.id, 10), []);
      await say(history, "a1", "new");
      await say(history, "a2", "first of a new room");
      const pending = (await webhooks.pending(made.id, 10)).sort((x, y) => x.room.localeCompare(y.room));
      assert.deepEqual(pending, [
        { room: "a1", cursor: 2, last: 3 },
        { room: "a2", cursor: 0, last: 1 },
      ]);
      assert.equal((await webhooks.pending(made.id, 1)).length, 1, "at most limit rooms");
      await webhooks.advance(made.id, "a1", 3);
      await webhooks.advance(made.id, "a1", 1); // never back
      await webhooks.advance(made.id, "a2", 1);
      assert.deepEqual(await webhooks.pending(made.id, 10), []);
      assert.equal(await webhooks.secretOf(made.id), "whsec_test");
      const listed = (await webhooks.list()).find((e) => e.id === made.id);
      assert.deepEqual(listed, made);
      assert.equal("secret" in (listed ?? {}), false);
    });

    test("outcomes are written while enabled only; an administrator's state always; removal takes the cursors", {
      skip: reason,
    }, async () => {
      const { history, webhooks } = await open();
      const made = endpoint(["b-*"]);
      await webhooks.create(made, "whsec_b");
      const failing = { ...freshState(1000), failingSince: 1000, failures: 2, lastStatus: 500, lastError: "HTTP 500" };
      assert.equal(await webhooks.recordOutcome(made.id, failing), true);
      let listed = (await webhooks.list()).find((e) => e.id === made.id);
      assert.equal(listed?.failures, 2);
      assert.equal(listed?.lastError, "HTTP 500");
      const disabled = { ...failing, disabledAt: 2000, disabledReason: "Disabled by an administrator." };
      assert.equal(await webhooks.setState(made.id, disabled), true);
      assert.equal(await webhooks.recordOutcome(made.id, { ...failing, failures: 0 }), false);
      listed = (await webhooks.list()).find((e) => e.id === made.id);
      assert.equal(listed?.disabledAt, 2000);
      assert.equal(listed?.failures, 2);
      await say(history, "b-1", "x");
      assert.equal((await webhooks.pending(made.id, 10)).length, 1);
      assert.equal(await webhooks.remove(made.id), true);
      assert.equal(await webhooks.remove(made.id), false);
      assert.deepEqual(await webhooks.pending(made.id, 10), []);
      assert.equal(await webhooks.secretOf(made.id), undefined);
      assert.equal(await webhooks.setState(made.id, freshState(1)), false);
    });

    test("endpoints, state and cursors survive a reopen", { skip: reason || !subject.durable }, async () => {
      let pair = await open();
      const made = endpoint();
      await pair.webhooks.create(made, "whsec_c");
      await say(pair.history, "c1", "one");
      await say(pair.history, "c1", "two");
      await pair.webhooks.advance(made.id, "c1", 1);
      await pair.webhooks.recordOutcome(made.id, { ...freshState(5), lastSuccessAt: 5, lastStatus: 200 });
      await closeAll();
      pair = await open();
      assert.deepEqual(await pair.webhooks.pending(made.id, 10), [{ room: "c1", cursor: 1, last: 2 }]);
      assert.equal((await pair.webhooks.list()).find((e) => e.id === made.id)?.lastSuccessAt, 5);
    });

    test("one node at a time holds an endpoint's lease; it runs out or is released", {
      skip: reason || !subject.shared,
    }, async () => {
      const a = await open();
      const b = await open();
      const made = endpoint();
      await a.webhooks.create(made, "whsec_d");
      assert.equal(await a.webhooks.claim(made.id, "node-a", 300), true);
      assert.equal(await b.webhooks.claim(made.id, "node-b", 300), false);
      assert.equal(await a.webhooks.claim(made.id, "node-a", 300), true, "renewed by its holder");
      await new Promise((resolve) => setTimeout(resolve, 400));
      assert.equal(await b.webhooks.claim(made.id, "node-b", 60_000), true, "taken over once run out");
      assert.equal(await a.webhooks.claim(made.id, "node-a", 300), false);
      await b.webhooks.release(made.id, "node-b");
      assert.equal(await a.webhooks.claim(made.id, "node-a", 300), true);
    });
  });
};
