/**
 * The fan-out writer with N in-memory outlets: per event, framing once plus one queue push per
 * recipient; per turn, one write per outlet. Outlets here only count bytes: this measures
 * Parley's own cost, the syscalls are the end-to-end bench's business.
 */
import type { Mode } from "../../src/chat/hub.ts";
import { Fanout, type Outlet } from "../../src/transport/fanout.ts";
import { measure } from "./harness.ts";

class CountingOutlet implements Outlet {
  private queue: Buffer[] = [];
  bytes = 0;
  private readonly fanout: () => Fanout;

  constructor(fanout: () => Fanout) {
    this.fanout = fanout;
  }
  enqueue(frame: Buffer): void {
    if (this.queue.length === 0) this.fanout().markDirty(this);
    this.queue.push(frame);
  }
  flushWrites(): void {
    for (const frame of this.queue) this.bytes += frame.length;
    this.queue = [];
  }
}

const setup = (n: number, jsonShare: number) => {
  let fanout: Fanout | undefined;
  const outlets = Array.from({ length: n }, () => new CountingOutlet(() => fanout as Fanout));
  const modes: Mode[] = outlets.map((_, i) => (i < n * jsonShare ? "json" : "text"));
  fanout = new Fanout((_room, visit) => {
    for (let i = 0; i < outlets.length; i++) visit(outlets[i] as Outlet, modes[i] as Mode);
  });
  return fanout;
};

const line = `user-4242: ${"x".repeat(64)}`;
const json = JSON.stringify({
  type: "message",
  room: "lobby",
  seq: 1,
  id: "x".repeat(36),
  nick: "user-4242",
  text: line,
});

export const run = async (): Promise<void> => {
  for (const n of [10, 1000, 10_000]) {
    const fanout = setup(n, 0);
    await measure(`fan-out: 1 message to ${n} text outlets, flushed`, () => {
      fanout.toRoom("lobby", line, json);
      fanout.flush();
    });
  }
  const mixed = setup(1000, 0.5);
  await measure("fan-out: 1 message to 1,000 outlets, half JSON", () => {
    mixed.toRoom("lobby", line, json);
    mixed.flush();
  });
  const batched = setup(1000, 0);
  await measure("fan-out: 10 messages in one turn to 1,000 outlets", () => {
    for (let i = 0; i < 10; i++) batched.toRoom("lobby", line, json);
    batched.flush();
  });
};
