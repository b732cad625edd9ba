import type { RoomAccess } from "../chat/identity.ts";
import type { ChatMessage } from "../chat/message.ts";
import type { HistoryStore } from "../store/history-store.ts";
import { type Attempt, afterFailure, afterSuccess } from "./backoff.ts";
import {
  type DeliveryState,
  endpointWants,
  eventTypeOf,
  type WebhookEndpoint,
  type WebhookStore,
} from "./endpoints.ts";
import { signedDelivery } from "./sign.ts";

/** Told of every attempt (metrics, the admin page's figures). */
export interface DeliveryObserver {
  attempted(endpointId: string, ok: boolean, ms: number): void;
}

export interface DispatcherOptions {
  store: WebhookStore;
  history: HistoryStore;
  access: RoomAccess;
  /** This node's id: the lease owner in a cluster. */
  owner: string;
  /** An attempt with no answer by then has failed. */
  timeoutMs: number;
  /** An endpoint whose every attempt failed for this long is disabled. */
  disableAfterMs: number;
  /** How often the store is asked what is due. */
  pollMs: number;
  observe?: DeliveryObserver;
  /** Logs failures with nobody to answer (the store unreachable). */
  report(what: string, error: unknown): void;
  now?: () => number;
  random?: () => number;
}

/** Rooms looked at per round, and messages read per room per round: what one endpoint holds in memory. */
const ROOMS_PER_ROUND = 50;
const MESSAGES_PER_READ = 50;
/** A cursor whose room reads empty this long is moved to the room's end: those seqs were deleted or pruned. */
const GAP_SKIP_MS = 5000;

/**
 * Delivers stored messages to webhook endpoints. Each endpoint has its own round (one request in
 * flight at a time, in seq order per room, each with a timeout), started by a poll of the store:
 * a slow endpoint holds only its own round, never chat fan-out (which never waits for this) nor
 * another endpoint. A cursor moves only after a 2xx, so a crash repeats at most the attempts in
 * flight: at least once, deduped by `webhook-id`.
 */
export class WebhookDispatcher {
  private readonly rounds = new Map<string, Promise<void>>();
  private readonly emptySince = new Map<string, number>();
  /** Endpoints this node has held a lease on: freed at stop, so another node takes over at once. */
  private readonly leased = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private ticking = false;
  private readonly stopping = new AbortController();
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly leaseMs: number;

  private readonly options: DispatcherOptions;

  constructor(options: DispatcherOptions) {
    this.options = options;
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
    // Long enough for a whole round of attempts that time out; renewed before each room.
    this.leaseMs = Math.max(30_000, options.timeoutMs * 3);
  }

  start(): void {
    this.timer ??= setInterval(() => void this.tick(), this.options.pollMs);
    this.timer.unref();
  }

  /** Stops polling, abandons attempts in flight (not counted as failures) and frees this node's leases. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.stopping.abort();
    await Promise.allSettled(this.rounds.values());
    await Promise.allSettled([...this.leased].map((id) => this.options.store.release(id, this.options.owner)));
  }

  private async tick(): Promise<void> {
    if (this.ticking || this.stopping.signal.aborted) return;
    this.ticking = true;
    try {
      const now = this.now();
      for (const endpoint of await this.options.store.list()) {
        if (endpoint.disabledAt !== null || endpoint.nextAttemptAt > now || this.rounds.has(endpoint.id)) continue;
        const round = this.round(endpoint)
          .catch((error: unknown) => this.options.report("webhook_round", error))
          .finally(() => this.rounds.delete(endpoint.id));
        this.rounds.set(endpoint.id, round);
      }
    } catch (error) {
      this.options.report("webhook_poll", error);
    } finally {
      this.ticking = false;
    }
  }

  /** One endpoint's turn: every pending room, message by message, until done or an attempt fails. */
  private async round(endpoint: WebhookEndpoint): Promise<void> {
    const { store, owner } = this.options;
    const secret = await store.secretOf(endpoint.id);
    if (secret === undefined) return;
    let state: DeliveryState = endpoint;
    let delivered = false;
    rooms: for (const pending of await store.pending(endpoint.id, ROOMS_PER_ROUND)) {
      const { room, last } = pending;
      let cursor = pending.cursor;
      // The room is read a part at a time until it is caught up: memory stays at one part.
      for (;;) {
        if (this.stopping.signal.aborted || !(await store.claim(endpoint.id, owner, this.leaseMs))) break rooms;
        if (this.leased.size < 10_000) this.leased.add(endpoint.id);
        if (!endpointWants(endpoint, room, this.options.access.isPrivate(room))) {
          await store.advance(endpoint.id, room, last);
          break;
        }
        const messages = await this.options.history.after(room, cursor, MESSAGES_PER_READ);
        if (messages.length === 0) {
          if (cursor === pending.cursor) await this.skipGap(endpoint.id, room, cursor, last);
          break;
        }
        this.emptySince.delete(`${endpoint.id}\n${room}`);
        for (const message of messages) {
          if (!endpoint.events.includes(eventTypeOf(message))) {
            await store.advance(endpoint.id, room, message.seq); // an event type it did not ask for
            cursor = message.seq;
            continue;
          }
          const attempt = await this.attempt(endpoint, secret, message);
          if (attempt === undefined) break rooms; // stopping: not judged
          if (attempt.status === null || attempt.status < 200 || attempt.status > 299) {
            const failed = afterFailure(state, attempt, this.options.disableAfterMs, this.random);
            await store.recordOutcome(endpoint.id, failed);
            return;
          }
          await store.advance(endpoint.id, room, message.seq);
          cursor = message.seq;
          state = afterSuccess(state, attempt);
          delivered = true;
        }
        if (messages.length < MESSAGES_PER_READ) break;
      }
    }
    if (delivered) await store.recordOutcome(endpoint.id, state);
  }

  /** Sends one message; undefined when the node is stopping (the attempt is not judged). */
  private async attempt(endpoint: WebhookEndpoint, secret: string, message: ChatMessage): Promise<Attempt | undefined> {
    const { id: endpointId, url } = endpoint;
    const at = this.now();
    const started = performance.now();
    const { body, headers } = signedDelivery(secret, message, at);
    const timeout = AbortSignal.timeout(this.options.timeoutMs);
    let status: number | null = null;
    let error: string | null = null;
    try {
      const response = await fetch(url, {
        method: "POST",
        headers: { ...headers, "user-agent": "Parley-Webhooks/1" },
        body,
        redirect: "manual",
        signal: AbortSignal.any([timeout, this.stopping.signal]),
      });
      status = response.status;
      await response.body?.cancel().catch(() => {});
      if (status < 200 || status > 299) error = `HTTP ${status}`;
    } catch (cause) {
      if (this.stopping.signal.aborted) return undefined;
      error = timeout.aborted ? `no answer within ${this.options.timeoutMs} ms` : describe(cause);
    }
    this.options.observe?.attempted(endpointId, error === null, performance.now() - started);
    return { at, status, error };
  }

  /** Empty reads at the same cursor for GAP_SKIP_MS: the seqs between were deleted or pruned. */
  private async skipGap(id: string, room: string, cursor: number, last: number): Promise<void> {
    const key = `${id}\n${room}`;
    const since = this.emptySince.get(key);
    if (since === undefined) {
      if (this.emptySince.size < 10_000) this.emptySince.set(key, this.now());
      return;
    }
    if (this.now() - since < GAP_SKIP_MS) return;
    this.emptySince.delete(key);
    await this.options.store.advance(id, room, Math.max(cursor, last));
  }
}

/** A failed request's reason, as an administrator can act on it (the cause's code when there is one). */
const describe = (error: unknown): string => {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
  if (cause && typeof cause.code === "string")
    return `${cause.code}${cause.message ? `: ${String(cause.message)}` : ""}`;
  return error instanceof Error ? error.message : String(error);
};
