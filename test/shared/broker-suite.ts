import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Broker, RoomEvent } from "../../src/broker/broker.ts";
import type { ChatMessage } from "../../src/chat/message.ts";
import { sleep } from "../helpers/engines.ts";

/** One kind of broker as the suite sees it. */
export interface BrokerSubject {
  name: string;
  skip?: () => Promise<string | false>;
  /** A broker for a node; brokers made from one `cluster()` see each other. */
  cluster(): Promise<{ node(): Broker; cleanup(): Promise<void> }>;
  /** More than one node can share it. */
  multiNode: boolean;
  /** Stops and starts the server under the cluster (its own, never a shared one). */
  restart?: () => Promise<void>;
}

interface Received {
  room: string;
  event: RoomEvent;
}

const record = (broker: Broker): Received[] => {
  const got: Received[] = [];
  broker.onEvent((room, event) => got.push({ room, event }));
  return got;
};

const message = (room: string, seq: number): ChatMessage => ({
  room,
  seq,
  id: `id-${seq}`,
  nick: "ann",
  text: `t${seq}`,
  ts: 1,
});

const until = async (probe: () => boolean, what: string, ms = 5000): Promise<void> => {
  const end = Date.now() + ms;
  while (!probe()) {
    if (Date.now() > end) assert.fail(`not within ${ms} ms: ${what}`);
    await sleep(10);
  }
};

/** The Broker contract, run against every implementation. */
export const brokerSuite = (subject: BrokerSubject): void => {
  describe(`Broker contract: ${subject.name}`, async () => {
    const reason = (await subject.skip?.()) ?? false;
    let cluster: Awaited<ReturnType<BrokerSubject["cluster"]>>;
    const brokers: Broker[] = [];
    const node = () => {
      const broker = cluster.node();
      brokers.push(broker);
      return broker;
    };
    before(async () => {
      if (!reason) cluster = await subject.cluster();
    });
    after(async () => {
      for (const broker of brokers) await broker.close();
      if (!reason) await cluster.cleanup();
    });

    test("a publisher gets its own events once, at once, in order", { skip: reason }, async () => {
      const a = node();
      const got = record(a);
      await a.subscribe("solo");
      for (const seq of [1, 2, 3]) await a.publish("solo", { type: "message", message: message("solo", seq) });
      await sleep(100); // an echo through the server would show up here
      assert.deepEqual(
        got.map((r) => (r.event.type === "message" ? r.event.message.seq : 0)),
        [1, 2, 3],
      );
      await a.ping();
      assert.ok(a.stats().published >= 3);
    });

    // Capabilities an implementation lacks are not tests it skips: they are left out.
    const multi = subject.multiNode ? test : () => {};
    const restartable = subject.restart ? test : () => {};
    multi("every subscribed node gets every event of the room, intact", { skip: reason }, async () => {
      const [a, b, c] = [node(), node(), node()];
      const [gotB, gotC] = [record(b), record(c)];
      record(a);
      await Promise.all([b.subscribe("shared"), c.subscribe("other")]);
      const events: RoomEvent[] = [
        { type: "message", message: message("shared", 7) },
        { type: "presence", presence: { room: "shared", action: "nick", from: "ann", nick: "bob" } },
        { type: "delete", room: "shared", seq: 7 },
      ];
      for (const event of events) await a.publish("shared", event);
      await until(() => gotB.length === 3, "b got all three");
      assert.deepEqual(
        gotB,
        events.map((event) => ({ room: "shared", event })),
      );
      assert.deepEqual(gotC, [], "a node not in the room gets nothing");
      assert.ok(b.stats().received >= 3);

      await b.unsubscribe("shared");
      await a.publish("shared", { type: "message", message: message("shared", 8) });
      await sleep(150);
      assert.equal(gotB.length, 3, "nothing after unsubscribe");
    });

    restartable(
      "after the server restarts, nodes resubscribe by themselves and ask for a re-read",
      { skip: reason },
      async () => {
        const [a, b] = [node(), node()];
        const gotB = record(b);
        let resyncs = 0;
        b.onResync(() => resyncs++);
        await b.subscribe("phoenix");
        await a.publish("phoenix", { type: "message", message: message("phoenix", 1) });
        await until(() => gotB.length === 1, "before the restart");
        await subject.restart?.();
        await until(() => resyncs >= 1, "b asked for a re-read", 10_000);
        assert.ok(b.stats().reconnects >= 1);
        await until(() => a.stats().connected, "a is back", 10_000);
        await a.publish("phoenix", { type: "message", message: message("phoenix", 2) });
        await until(() => gotB.length === 2, "after the restart, without subscribing again");
      },
    );
  });
};
