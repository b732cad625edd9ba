import type { DeliveryState, EventType, WebhookEndpoint } from "./endpoints.ts";

/** An endpoint's columns as SQLite and PostgreSQL return them (PostgreSQL's BIGINT as a string). */
export interface EndpointRow {
  id: string;
  url: string;
  events: string | EventType[];
  rooms: string | string[];
  created_at: number | string;
  failing_since: number | string | null;
  failures: number | string;
  next_attempt_at: number | string;
  last_attempt_at: number | string | null;
  last_success_at: number | string | null;
  last_status: number | string | null;
  last_error: string | null;
  disabled_at: number | string | null;
  disabled_reason: string | null;
}

export const ENDPOINT_COLUMNS =
  "id, url, events, rooms, created_at, failing_since, failures, next_attempt_at, last_attempt_at, last_success_at, last_status, last_error, disabled_at, disabled_reason";

const num = (value: number | string): number => Number(value);
const numOrNull = (value: number | string | null): number | null => (value === null ? null : Number(value));
const list = <T>(value: string | T[]): T[] => (typeof value === "string" ? (JSON.parse(value) as T[]) : value);

export const endpointFromRow = (row: EndpointRow): WebhookEndpoint => ({
  id: row.id,
  url: row.url,
  events: list(row.events),
  rooms: list(row.rooms),
  createdAt: num(row.created_at),
  failingSince: numOrNull(row.failing_since),
  failures: num(row.failures),
  nextAttemptAt: num(row.next_attempt_at),
  lastAttemptAt: numOrNull(row.last_attempt_at),
  lastSuccessAt: numOrNull(row.last_success_at),
  lastStatus: numOrNull(row.last_status),
  lastError: row.last_error,
  disabledAt: numOrNull(row.disabled_at),
  disabledReason: row.disabled_reason,
});

/** The state's values in the order of `STATE_SET`'s placeholders, the endpoint's id last. */
export const stateValues = (state: DeliveryState): Array<number | string | null> => [
  state.failingSince,
  state.failures,
  state.nextAttemptAt,
  state.lastAttemptAt,
  state.lastSuccessAt,
  state.lastStatus,
  state.lastError,
  state.disabledAt,
  state.disabledReason,
];

export const STATE_COLUMNS = [
  "failing_since",
  "failures",
  "next_attempt_at",
  "last_attempt_at",
  "last_success_at",
  "last_status",
  "last_error",
  "disabled_at",
  "disabled_reason",
] as const;
