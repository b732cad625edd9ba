import { Redis, type RedisOptions } from "ioredis";
import type { Broker, BrokerStats, RoomEvent, RoomEventHandler } from "./broker.ts";

export interface RedisBrokerOptions {
  url: string;
  /** Prefix of every key and channel, so several Parleys (or test runs) can share one Redis. */
  prefix: string;
  /** This node's id; its own events come back on the channel and are skipped by it. */
  nodeId: string;
  /** Called once per outage and once per recovery, so failures are seen, not swallowed. */
  log?: (line: string) => void;
}

/** Publishes waiting for Redis to come back, past which new ones are dropped (receivers re-read the store). */
const MAX_PENDING_PUBLISHES = 10_000;
const PING_TIMEOUT_MS = 1000;
/** A subscription Redis has not confirmed by then fails (the caller tells its client); it may still complete later. */
const SUBSCRIBE_TIMEOUT_MS = 3000;

/** ioredis options shared by Parley's connections: retry forever, every 100 ms up to 1 s apart. */
export const redisOptions = (extra: RedisOptions = {}): RedisOptions => ({
  maxRetriesPerRequest: null,
  enableOfflineQueue: true,
  retryStrategy: (times: number) => Math.min(times * 100, 1000),
  connectTimeout: 2000,
  ...extra,
});

/**
 * Fan-out between nodes over Redis pub/sub: one channel per room. An event is handed to this
 * node's handler at once and published for the others; its own echo is skipped by node id.
 * Pub/sub does not keep messages: after a reconnect the subscriber resubscribes and `onResync`
 * handlers re-read the rooms' tails from the store, which is what makes the loss harmless.
 */
export class RedisBroker implements Broker {
  readonly ordered = false;
  private readonly pub: Redis;
  private readonly sub: Redis;
  private handler: RoomEventHandler = () => {};
  private readonly resyncHandlers: Array<() => void> = [];
  private readonly rooms = new Map<string, Promise<void>>();
  private readonly channelPrefix: string;
  private readonly selfTag: string;
  private counters = { published: 0, publishFailures: 0, received: 0, reconnects: 0 };
  private pending = 0;
  private subReadyOnce = false;
  private down = false;
  private closing = false;

  private readonly options: RedisBrokerOptions;

  constructor(options: RedisBrokerOptions) {
    this.options = options;
    this.channelPrefix = `${options.prefix}room:`;
    this.selfTag = `${options.nodeId}\n`;
    this.pub = new Redis(options.url, redisOptions({ connectionName: `parley-pub-${options.nodeId}` }));
    this.sub = new Redis(
      options.url,
      redisOptions({ autoResubscribe: false, connectionName: `parley-sub-${options.nodeId}` }),
    );
    for (const client of [this.pub, this.sub]) {
      client.on("error", (error: Error) => this.lost(error));
      client.on("close", () => this.lost(new Error("connection closed")));
    }
    this.sub.on("message", (channel: string, payload: string) => this.receive(channel, payload));
    this.sub.on("ready", () => void this.subReady());
    this.pub.on("ready", () => this.recovered());
  }

  onEvent(handler: RoomEventHandler): void {
    this.handler = handler;
  }

  onResync(handler: () => void): void {
    this.resyncHandlers.push(handler);
  }

  publish(room: string, event: RoomEvent): Promise<void> {
    this.handler(room, event);
    this.counters.published++;
    if (this.pending >= MAX_PENDING_PUBLISHES) {
      this.counters.publishFailures++;
      return Promise.resolve();
    }
    this.pending++;
    return this.pub.publish(this.channelPrefix + room, this.selfTag + JSON.stringify(event)).then(
      () => {
        this.pending--;
      },
      () => {
        this.pending--;
        this.counters.publishFailures++;
      },
    );
  }

  subscribe(room: string): Promise<void> {
    let done = this.rooms.get(room);
    if (!done) {
      done = this.sub.subscribe(this.channelPrefix + room).then(() => {});
      this.rooms.set(room, done);
      done.catch(() => this.rooms.delete(room));
    }
    // While Redis is away ioredis queues the command: without a bound the client would wait in silence.
    return withTimeout(done, SUBSCRIBE_TIMEOUT_MS, "Redis did not confirm the subscription");
  }

  async unsubscribe(room: string): Promise<void> {
    if (!this.rooms.delete(room)) return;
    await this.sub.unsubscribe(this.channelPrefix + room).catch(() => {});
  }

  ping(): Promise<void> {
    const subscriber = (async () => {
      const until = Date.now() + PING_TIMEOUT_MS;
      while (this.sub.status !== "ready" && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
      if (this.sub.status !== "ready") throw new Error("Redis subscriber is not connected");
    })();
    const answer = Promise.all([this.pub.ping(), subscriber]);
    return withTimeout(answer, PING_TIMEOUT_MS, "Redis is not answering").then(() => {});
  }

  stats(): BrokerStats {
    return { ...this.counters, connected: this.pub.status === "ready" && this.sub.status === "ready" };
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(
      [this.pub, this.sub].map((client) => withTimeout(client.quit(), 1000, "quit").catch(() => client.disconnect())),
    );
  }

  private receive(channel: string, payload: string): void {
    if (payload.startsWith(this.selfTag)) return; // already handed on here when published
    const newline = payload.indexOf("\n");
    let event: RoomEvent;
    try {
      event = JSON.parse(payload.slice(newline + 1)) as RoomEvent;
    } catch {
      return; // not ours: another program on the same prefix
    }
    this.counters.received++;
    this.handler(channel.slice(this.channelPrefix.length), event);
  }

  /** The subscriber is (again) connected: subscribe to every room, then ask for a re-read. */
  private async subReady(): Promise<void> {
    const first = !this.subReadyOnce;
    this.subReadyOnce = true;
    this.recovered();
    if (first) return;
    this.counters.reconnects++;
    const channels = [...this.rooms.keys()].map((room) => this.channelPrefix + room);
    try {
      if (channels.length > 0) await this.sub.subscribe(...channels);
    } catch {
      return; // lost again: the next ready comes back here
    }
    // Only now: anything published from here on reaches us, anything before is in the store.
    for (const handler of this.resyncHandlers) handler();
  }

  private lost(error: Error): void {
    if (this.down || this.closing) return;
    this.down = true;
    this.options.log?.(`Redis link lost (${error.message}); retrying, messages meanwhile come from the store`);
  }

  private recovered(): void {
    if (!this.down || this.pub.status !== "ready" || this.sub.status !== "ready") return;
    this.down = false;
    this.options.log?.("Redis link back");
  }
}

export const withTimeout = <T>(promise: Promise<T>, ms: number, what: string): Promise<T> =>
  new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} (no answer in ${ms} ms)`)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
