import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { ChatMessage } from "../../src/chat/message.ts";
import { RoomOrder } from "../../src/service/room-order.ts";
import { MemoryStore } from "../../src/store/memory.ts";

const waitFor = async (probe: () => boolean, ms = 2000) => {
  const end = Date.now() + ms;
  while (!probe()) {
    if (Date.now() > end) assert.fail("timed out");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
};

const setup = async (count: number) => {
  const store = new MemoryStore();
  const stored: ChatMessage[] = [];
  for (let i = 1; i <= count; i++)
    stored.push((await store.append({ room: "r", nick: "n", text: `t${i}`, ts: 1 })).message);
  const out: number[] = [];
  const order = new RoomOrder({ store, ordered: false, gapWaitMs: 30, emit: (m) => out.push(m.seq) });
  return { store, stored, out, order };
};

describe("RoomOrder (sequencer + gap fill from a real store)", () => {
  test("out-of-order arrivals are handed on in order; a lost one is read from the store after the wait", async () => {
    const { stored, out, order } = await setup(5);
    await order.settle("r", 0);
    for (const i of [1, 3, 2, 5]) order.offer(stored[i - 1] as ChatMessage);
    assert.deepEqual(out, [1, 2, 3], "4 has not come: 5 waits");
    await waitFor(() => out.length === 5);
    assert.deepEqual(out, [1, 2, 3, 4, 5]);
    assert.equal(order.stats.gapFills, 1);
    order.offer(stored[3] as ChatMessage); // the late original of 4
    assert.deepEqual(out, [1, 2, 3, 4, 5], "exactly once");
    order.close();
  });

  test("settle waits until the node has handed on what a member already read", async () => {
    const { stored, out, order } = await setup(4);
    await order.settle("r", 1);
    let settled = false;
    const done = order.settle("r", 3).then(() => {
      settled = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 5));
    assert.equal(settled, false);
    order.offer(stored[1] as ChatMessage);
    order.offer(stored[2] as ChatMessage);
    await done;
    assert.deepEqual(out, [2, 3]);
    order.close();
  });

  test("after the broker lost its link, resync reads every room's tail", async () => {
    const { stored, out, order } = await setup(3);
    await order.settle("r", 0);
    order.offer(stored[0] as ChatMessage);
    order.resync();
    await waitFor(() => out.length === 3);
    assert.deepEqual(out, [1, 2, 3]);
    order.close();
  });

  test("deleted messages do not block the room", async () => {
    const { store, stored, out, order } = await setup(4);
    await store.delete("r", 2);
    await store.delete("r", 3);
    await order.settle("r", 1);
    order.offer(stored[3] as ChatMessage);
    await waitFor(() => out.length === 1);
    assert.deepEqual(out, [4]);
    order.close();
  });
});
