import type { ChatMessage, ClientOptions, ParleyClient, Room, StateChange, Timers } from "parley-client";
import { connect } from "parley-client";
import WebSocket from "ws";
import type { Emitter } from "../../packages/client/src/emitter.ts";

/** An SDK client on Node (the `ws` WebSocket) with short real backoff, for integration tests. */
export const sdkClient = (url: string, options: ClientOptions = {}): ParleyClient =>
  connect(url, { WebSocket, backoff: { minDelay: 20, maxDelay: 200 }, ...options });

/** Resolves with the first event of `type` that satisfies `match`. */
export const nextEvent = <E extends object, K extends keyof E>(
  target: Emitter<E>,
  type: K,
  match: (payload: E[K]) => boolean = () => true,
  timeoutMs = 10_000,
): Promise<E[K]> =>
  new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`timed out waiting for ${String(type)}`));
    }, timeoutMs);
    const off = target.on(type, (payload) => {
      if (!match(payload)) return;
      clearTimeout(timer);
      off();
      resolve(payload);
    });
  });

export const stateReached = (client: ParleyClient, state: StateChange["state"], timeoutMs?: number) =>
  client.state === state ? Promise.resolve(undefined) : nextEvent(client, "state", (s) => s.state === state, timeoutMs);

/** Records everything a room shows a user: history pages and messages, in arrival order. */
export const recordRoom = (
  room: Room,
): { messages: ChatMessage[]; waitForSeq(seq: number, ms?: number): Promise<void> } => {
  const messages: ChatMessage[] = [];
  const waiters = new Set<() => void>();
  const wake = () => {
    for (const waiter of [...waiters]) waiter();
  };
  room.on("history", (page) => {
    messages.push(...page.messages);
    wake();
  });
  room.on("message", (message) => {
    messages.push(message);
    wake();
  });
  return {
    messages,
    waitForSeq: (seq, ms = 10_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          if (!messages.some((m) => m.seq >= seq)) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out waiting for seq ${seq}; have ${messages.map((m) => m.seq).join(",")}`));
        }, ms);
        waiters.add(check);
        check();
      }),
  };
};

/** Timers that run only when told: backoff is tested without sleeping. */
export class ManualTimers implements Timers {
  private next = 1;
  readonly pending = new Map<number, { callback: () => void; ms: number }>();

  setTimeout(callback: () => void, ms: number): unknown {
    const id = this.next++;
    this.pending.set(id, { callback, ms });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as number);
  }

  /** Runs the timer scheduled with `ms` (the only one, or the latest), as if that time had passed. */
  fire(ms: number): void {
    const found = [...this.pending.entries()].reverse().find(([, t]) => t.ms === ms);
    if (!found) throw new Error(`no timer of ${ms} ms; pending: ${[...this.pending.values()].map((t) => t.ms)}`);
    this.pending.delete(found[0]);
    found[1].callback();
  }
}
