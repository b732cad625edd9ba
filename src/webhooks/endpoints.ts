import { randomBytes, randomUUID } from "node:crypto";
import { roomMatches } from "../api-keys/keys.ts";
import type { ChatMessage } from "../chat/message.ts";

/** Event types an endpoint may ask for: stored history rows only (messages and changes to them), as the outbox is derived from history. */
export const EVENT_TYPES = ["message.created", "message.edited", "message.deleted", "message.reacted"] as const;
export type EventType = (typeof EVENT_TYPES)[number];

const CHANGE_EVENTS = { edit: "message.edited", delete: "message.deleted", react: "message.reacted" } as const;

/** The webhook event a stored history row is: a message, or a change (edit, delete, reaction) to one. */
export const eventTypeOf = (message: Pick<ChatMessage, "change">): EventType =>
  message.change ? CHANGE_EVENTS[message.change.kind] : "message.created";

/** Where an endpoint's deliveries stand: kept in the store, so every node (and the admin page) sees it. */
export interface DeliveryState {
  /** When the failures in a row began (ms since the epoch); null while it succeeds. */
  failingSince: number | null;
  /** Failed attempts in a row (the backoff's exponent). */
  failures: number;
  /** No attempt before this time (ms since the epoch): the backoff. */
  nextAttemptAt: number;
  lastAttemptAt: number | null;
  lastSuccessAt: number | null;
  /** HTTP status of the last attempt; null when it got none (timeout, refused connection). */
  lastStatus: number | null;
  lastError: string | null;
  /** When it was disabled (by an administrator, or for failing past the period); null while enabled. */
  disabledAt: number | null;
  disabledReason: string | null;
}

/** An endpoint as stored and listed: never its secret, which is shown once at creation. */
export interface WebhookEndpoint extends DeliveryState {
  id: string;
  url: string;
  events: EventType[];
  /** Room patterns as API keys have them (`*` any run of characters); a private room must be named exactly. */
  rooms: string[];
  createdAt: number;
}

/** A room whose history is ahead of an endpoint's cursor. */
export interface PendingRoom {
  room: string;
  /** The last seq delivered (or skipped) to the endpoint. */
  cursor: number;
  /** The room's last seq. */
  last: number;
}

/**
 * Endpoints and their outbox, in the history's database. The outbox is a cursor per endpoint
 * and room on the history's `seq`: a stored message is pending for every endpoint whose cursor
 * is below it, so "stored ⇒ will be delivered" holds across kill -9 with no second write.
 */
export interface WebhookStore {
  start(): Promise<void>;
  /** Stores the endpoint; its cursors start at every room's current end (it gets what comes next). */
  create(endpoint: WebhookEndpoint, secret: string): Promise<void>;
  list(): Promise<WebhookEndpoint[]>;
  secretOf(id: string): Promise<string | undefined>;
  remove(id: string): Promise<boolean>;
  /** Writes the delivery state (and so enables or disables); false when there is no such endpoint. */
  setState(id: string, state: DeliveryState): Promise<boolean>;
  /**
   * Writes a delivery's outcome only while the endpoint is enabled: an administrator who disables
   * it during a delivery is not overruled by that delivery's answer.
   */
  recordOutcome(id: string, state: DeliveryState): Promise<boolean>;
  /**
   * true when `owner` may deliver for the endpoint for the next `leaseMs`: one node at a time
   * per endpoint in a cluster. A store one process owns (SQLite, memory) always answers true.
   */
  claim(id: string, owner: string, leaseMs: number): Promise<boolean>;
  release(id: string, owner: string): Promise<void>;
  /** Rooms with messages past the endpoint's cursor, at most `limit`. */
  pending(id: string, limit: number): Promise<PendingRoom[]>;
  /** Moves the endpoint's cursor in `room` forward to `seq` (never back). */
  advance(id: string, room: string, seq: number): Promise<void>;
  close(): Promise<void>;
}

export const SECRET_PREFIX = "whsec_";

/** 32 random bytes, as Standard Webhooks writes a symmetric secret: `whsec_` + base64. */
export const newWebhookSecret = (): string => `${SECRET_PREFIX}${randomBytes(32).toString("base64")}`;

export const newEndpointId = (): string => `ep_${randomUUID()}`;

export const freshState = (now: number): DeliveryState => ({
  failingSince: null,
  failures: 0,
  nextAttemptAt: now,
  lastAttemptAt: null,
  lastSuccessAt: null,
  lastStatus: null,
  lastError: null,
  disabledAt: null,
  disabledReason: null,
});

/**
 * Whether `room`'s messages go to the endpoint. A private room goes only to endpoints that name
 * it exactly: a pattern (`*`, `team-*`) made for public rooms never carries a room made private
 * later to a third party's URL.
 */
export const endpointWants = (
  endpoint: Pick<WebhookEndpoint, "rooms" | "events">,
  room: string,
  isPrivate: boolean,
): boolean =>
  endpoint.events.length > 0 && (isPrivate ? endpoint.rooms.includes(room) : roomMatches(endpoint.rooms, room));

/** For a store without a database: tests and `--store memory`. `heads` reads the history's rooms and last seqs. */
export class MemoryWebhookStore implements WebhookStore {
  private readonly endpoints = new Map<string, { endpoint: WebhookEndpoint; secret: string }>();
  private readonly cursors = new Map<string, Map<string, number>>();

  private readonly heads: () => Map<string, number>;

  constructor(heads: () => Map<string, number>) {
    this.heads = heads;
  }

  start(): Promise<void> {
    return Promise.resolve();
  }

  create(endpoint: WebhookEndpoint, secret: string): Promise<void> {
    this.endpoints.set(endpoint.id, { endpoint: { ...endpoint }, secret });
    this.cursors.set(endpoint.id, new Map(this.heads()));
    return Promise.resolve();
  }

  list(): Promise<WebhookEndpoint[]> {
    const all = [...this.endpoints.values()].map((e) => ({ ...e.endpoint }));
    return Promise.resolve(all.sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id)));
  }

  secretOf(id: string): Promise<string | undefined> {
    return Promise.resolve(this.endpoints.get(id)?.secret);
  }

  remove(id: string): Promise<boolean> {
    this.cursors.delete(id);
    return Promise.resolve(this.endpoints.delete(id));
  }

  setState(id: string, state: DeliveryState): Promise<boolean> {
    const entry = this.endpoints.get(id);
    if (entry) Object.assign(entry.endpoint, state);
    return Promise.resolve(entry !== undefined);
  }

  recordOutcome(id: string, state: DeliveryState): Promise<boolean> {
    const entry = this.endpoints.get(id);
    if (!entry || entry.endpoint.disabledAt !== null) return Promise.resolve(false);
    return this.setState(id, state);
  }

  claim(id: string): Promise<boolean> {
    return Promise.resolve(this.endpoints.has(id));
  }

  release(): Promise<void> {
    return Promise.resolve();
  }

  pending(id: string, limit: number): Promise<PendingRoom[]> {
    const cursors = this.cursors.get(id);
    if (!cursors) return Promise.resolve([]);
    const rooms: PendingRoom[] = [];
    for (const [room, last] of this.heads()) {
      const cursor = cursors.get(room) ?? 0;
      if (last > cursor && rooms.length < limit) rooms.push({ room, cursor, last });
    }
    return Promise.resolve(rooms);
  }

  advance(id: string, room: string, seq: number): Promise<void> {
    const cursors = this.cursors.get(id);
    if (cursors && seq > (cursors.get(room) ?? 0)) cursors.set(room, seq);
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
