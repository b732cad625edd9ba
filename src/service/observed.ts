import type { Broker, RoomEvent, RoomEventHandler } from "../broker/broker.ts";
import type { NewMessage } from "../chat/message.ts";
import { overriding } from "../overriding.ts";
import type { AppendResult, HistoryStore } from "../store/history-store.ts";

/** What the store and broker wrappers report; `Metrics` is one. */
export interface FlowObserver {
  messageIn(): void;
  duplicate(): void;
  messageOut(): void;
  storeError(): void;
  storeWritten(seconds: number): void;
  broadcast(seconds: number): void;
}

/** The slice of a logger the wrappers use (pino's shape). */
export interface ErrorLog {
  error(fields: object, message: string): void;
}

const seconds = (start: number): number => (performance.now() - start) / 1000;

/** Runs `call`, turning a synchronous throw (better-sqlite3 on a closed file) into a rejection. */
const attempt = <T>(call: () => Promise<T>): Promise<T> => {
  try {
    return call();
  } catch (error) {
    return Promise.reject(error);
  }
};

const PROBE_INTERVAL_MS = 1000;

/**
 * Whether the store's writes work, from the appends themselves: a store can answer reads and
 * pings while every write fails (disk full, a damaged file), and that must show in `/readyz`.
 * The last append decides: a failure stands until an append (or a probe write) succeeds again.
 */
export class WriteHealth {
  private failure: { error: string; since: number } | undefined;
  private probedAt = 0;

  failed(error: unknown, now = Date.now()): void {
    this.failure = { error: error instanceof Error ? error.message : String(error), since: this.failure?.since ?? now };
  }

  succeeded(): void {
    this.failure = undefined;
  }

  /**
   * Rejects with why writes fail, while they do. A failure is tried again with `probe` (at most
   * once a second), so readiness comes back even when nobody sends.
   */
  async check(probe: () => Promise<void>, now = Date.now()): Promise<void> {
    if (!this.failure) return;
    if (now - this.probedAt >= PROBE_INTERVAL_MS) {
      this.probedAt = now;
      try {
        await probe();
        this.succeeded();
        return;
      } catch {
        // still failing: the append's error says why
      }
    }
    if (!this.failure) return; // an append succeeded meanwhile
    const since = new Date(this.failure.since).toISOString();
    throw new Error(`writes have failed since ${since} (until one succeeds): ${this.failure.error}`);
  }
}

/**
 * A store that reports: every append is a message in, timed until durable; failures are
 * counted and logged (without the message text), and kept in `writes` for readiness.
 * The service stays unaware of metrics.
 */
export const observeStore = (
  inner: HistoryStore,
  observer: FlowObserver,
  log: ErrorLog,
  writes = new WriteHealth(),
): HistoryStore => {
  const failed = (operation: string, room: string) => (error: unknown) => {
    observer.storeError();
    log.error({ event: "store_error", operation, room, err: error }, `history store ${operation} failed`);
    throw error;
  };
  return overriding<HistoryStore>(inner, {
    append(message: NewMessage): Promise<AppendResult> {
      observer.messageIn();
      const start = performance.now();
      let appended: Promise<AppendResult>;
      try {
        appended = inner.append(message);
      } catch (error) {
        appended = Promise.reject(error);
      }
      return appended.then(
        (result) => {
          writes.succeeded();
          if (result.conflict) return result; // refused by the service, and counted there
          if (result.duplicate) observer.duplicate();
          else observer.storeWritten(seconds(start));
          return result;
        },
        (error: unknown) => {
          writes.failed(error);
          return failed("append", message.room)(error);
        },
      );
    },
    latest: (room, limit) => attempt(() => inner.latest(room, limit)).catch(failed("latest", room)),
    after: (room, after, limit) => attempt(() => inner.after(room, after, limit)).catch(failed("after", room)),
    before: (room, before, limit) => attempt(() => inner.before(room, before, limit)).catch(failed("before", room)),
    bounds: (room) => attempt(() => inner.bounds(room)).catch(failed("bounds", room)),
    countMessages: (room, after, upTo, limit) =>
      attempt(() => inner.countMessages(room, after, upTo, limit)).catch(failed("countMessages", room)),
    pageStart: (room, before, limit) =>
      attempt(() => inner.pageStart(room, before, limit)).catch(failed("pageStart", room)),
    part: (room, after, until, limit, maxBytes) =>
      attempt(() => inner.part(room, after, until, limit, maxBytes)).catch(failed("part", room)),
    delete: (room, seq) => attempt(() => inner.delete(room, seq)).catch(failed("delete", room)),
  });
};

// Publish times of this node's messages, by id, until they are delivered back; bounded so
// a broker that loses messages cannot make it grow without end.
const MAX_IN_FLIGHT = 10_000;

/**
 * A broker that reports: each message delivered here is a message out, and for messages
 * published on this node, the time from publish (just after the durable append) to the end of
 * the event-loop turn that wrote its frames. The fan-out writes in a `setImmediate` queued
 * while the event is delivered; the one queued here after it runs after it (FIFO).
 */
export const observeBroker = (inner: Broker, observer: FlowObserver, log: ErrorLog): Broker => {
  const inFlight = new Map<string, number>();
  let delivered: number[] = [];
  const written = () => {
    const now = performance.now();
    for (const start of delivered) observer.broadcast((now - start) / 1000);
    delivered = [];
  };
  const arrived = (id: string) => {
    observer.messageOut();
    const start = inFlight.get(id);
    if (start === undefined) return; // published by another node: its clock is not ours
    inFlight.delete(id);
    if (delivered.length === 0) setImmediate(written);
    delivered.push(start);
  };
  return overriding<Broker>(inner, {
    onEvent(handler: RoomEventHandler): void {
      inner.onEvent((room, event) => {
        handler(room, event);
        if (event.type === "message") arrived(event.message.id);
      });
    },
    publish(room: string, event: RoomEvent): Promise<void> {
      if (event.type === "message") {
        if (inFlight.size >= MAX_IN_FLIGHT) inFlight.clear();
        inFlight.set(event.message.id, performance.now());
      }
      return inner.publish(room, event).catch((error: unknown) => {
        if (event.type === "message") inFlight.delete(event.message.id);
        log.error({ event: "broker_error", operation: "publish", room, err: error }, "broker publish failed");
        throw error;
      });
    },
  });
};
