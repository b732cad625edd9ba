import { Counter, collectDefaultMetrics, Gauge, Registry } from "prom-client";
import type { ErrorCode } from "../chat/errors.ts";
import type { Mode } from "../chat/hub.ts";
import { CLOSE_REASONS, type CloseReason } from "../protocol/close-codes.ts";
import { REFUSAL_REASONS, type RefusalReason } from "../transport/refuse.ts";
import type { TransportStats } from "../transport/socket-link.ts";
import { countEveryGc } from "./gc-metric.ts";
import { TalliedHistogram } from "./tallied-histogram.ts";

/**
 * Frames refused or not delivered while the connection stayed open: `rate` a frame over the rate
 * with the hold full (answered `rate_limited`), `busy` a history read with too many waiting
 * (answered `busy`), `slow` presence shed for a client that is not reading.
 */
export const DROP_REASONS = ["rate", "busy", "slow"] as const;
export type DropReason = (typeof DROP_REASONS)[number];

/** How a rename (`nick`, `/nick`) ended: taken, taken back with a reconnect key, or refused with this error code. */
export const NICK_RESULTS = [
  "changed",
  "reclaimed",
  "bad_nick",
  "nick_taken",
  "forbidden",
  "store_unavailable",
] as const;
export type NickResult = (typeof NICK_RESULTS)[number];
/** Why a socket was closed before it sent its request's headers (slowloris defence). */
export const HANDSHAKE_CUTS = ["timeout", "per_ip"] as const;
export type HandshakeCutReason = (typeof HANDSHAKE_CUTS)[number];

/** Admin API requests refused before any action: a wrong or missing token, or an address slowed down. */
export const ADMIN_REFUSALS = ["token", "throttled"] as const;
export type AdminRefusal = (typeof ADMIN_REFUSALS)[number];

/** What the metrics read at scrape time from the running parts. */
export interface MetricSources {
  rooms(): number;
  members(): number;
  /** Sockets that have not sent their request's headers yet. */
  unfinishedHandshakes?(): number;
  storeUp(): Promise<boolean>;
  brokerUp(): Promise<boolean>;
}

const tallies = <K extends string>(keys: readonly K[]): Record<K, number> =>
  Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;

/**
 * Parley's Prometheus registry. One per server (tests run many in one process). Counters are
 * plain tallies copied into prom-client at scrape; histograms are tallied per message (tallied-histogram.ts), never
 * per recipient. No label carries a room name, nick or address.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly transport: TransportStats = { bytesOut: 0, shedFrames: 0 };
  private readonly open: Record<Mode, number> = { text: 0, json: 0 };
  private readonly opened: Record<Mode, number> = { text: 0, json: 0 };
  private readonly closed = tallies(CLOSE_REASONS);
  private readonly stopGcCount: () => void;
  private readonly refusals = tallies(REFUSAL_REASONS);
  private readonly drops = tallies(DROP_REASONS);
  private readonly handshakeCuts = tallies(HANDSHAKE_CUTS);
  private readonly adminRefusals = tallies(ADMIN_REFUSALS);
  private readonly resumes = { complete: 0, incomplete: 0 };
  private readonly nickRequests = tallies(NICK_RESULTS);
  /** By error code: a bounded set (`ErrorCode`), each label made at its first refusal. */
  private readonly errorsSent: Record<string, number> = {};
  private readonly messages = { in: 0, out: 0, duplicate: 0, storeErrors: 0, paced: 0 };
  private sources: MetricSources | undefined;
  private readonly storeWrite: TalliedHistogram;
  private readonly broadcastLatency: TalliedHistogram;

  constructor() {
    const registers = [this.registry];
    const counter = (name: string, help: string, read: () => number) =>
      new Counter({
        name,
        help,
        registers,
        collect() {
          this.reset();
          this.inc(read());
        },
      });
    const labelled = <K extends string>(name: string, help: string, label: string, values: Record<K, number>) =>
      new Counter({
        name,
        help,
        labelNames: [label],
        registers,
        collect() {
          this.reset();
          for (const [key, value] of Object.entries<number>(values)) this.labels(key).inc(value);
        },
      });
    const self = this;

    new Gauge({
      name: "parley_connections",
      help: "Open WebSocket connections on this node, by protocol mode.",
      labelNames: ["mode"],
      registers,
      collect() {
        for (const mode of ["text", "json"] as const) this.set({ mode }, self.open[mode]);
      },
    });
    labelled("parley_connections_opened_total", "WebSocket connections accepted, by mode.", "mode", this.opened);
    labelled(
      "parley_connections_closed_total",
      "WebSocket connections ended, by reason (from the close code).",
      "reason",
      this.closed,
    );
    labelled(
      "parley_handshakes_refused_total",
      "WebSocket upgrades refused with an HTTP error, by reason.",
      "reason",
      this.refusals,
    );
    labelled(
      "parley_handshakes_cut_total",
      "Sockets closed before their request headers were in: timeout (408) or per_ip cap (429).",
      "reason",
      this.handshakeCuts,
    );
    new Gauge({
      name: "parley_handshakes_unfinished",
      help: "Sockets on both ports that have not sent their request headers yet.",
      registers,
      collect() {
        this.set(self.sources?.unfinishedHandshakes?.() ?? 0);
      },
    });
    labelled(
      "parley_admin_refused_total",
      "Admin API requests refused: wrong or missing token (401), or the address slowed down (429).",
      "reason",
      this.adminRefusals,
    );
    // Read through getters: the slow count lives in the transport's tally.
    labelled(
      "parley_frames_dropped_total",
      "Frames refused (rate: over the rate with the hold full; busy: too many history reads waiting) or not delivered (slow: presence shed), the connection staying open.",
      "reason",
      {
        get rate() {
          return self.drops.rate;
        },
        get busy() {
          return self.drops.busy;
        },
        get slow() {
          return self.drops.slow + self.transport.shedFrames;
        },
      },
    );
    counter(
      "parley_frames_paced_total",
      "Frames that waited, in order, for their connection's rate before being handled (not refused).",
      () => this.messages.paced,
    );
    labelled(
      "parley_errors_sent_total",
      "Refusals explained to a client (a JSON `error` event or a text-mode error line), by error code.",
      "code",
      this.errorsSent,
    );
    labelled(
      "parley_resumes_total",
      "Resumes from `since`: complete, or with part of the gap lost to retention.",
      "result",
      this.resumes,
    );
    labelled(
      "parley_nick_requests_total",
      "Renames asked for, by result: changed, reclaimed (with a reconnect key), or the refusal's error code.",
      "result",
      this.nickRequests,
    );
    new Gauge({
      name: "parley_rooms",
      help: "Rooms with at least one member on this node.",
      registers,
      collect() {
        this.set(self.sources?.rooms() ?? 0);
      },
    });
    new Gauge({
      name: "parley_members",
      help: "Members (connections with a nickname) on this node.",
      registers,
      collect() {
        this.set(self.sources?.members() ?? 0);
      },
    });
    counter("parley_messages_in_total", "Chat messages received from clients.", () => this.messages.in);
    counter(
      "parley_messages_duplicate_total",
      "Chat messages received again with a known cid (acked, not stored twice).",
      () => this.messages.duplicate,
    );
    counter(
      "parley_messages_out_total",
      "Chat messages fanned out to this node's members (once per message, not per recipient).",
      () => this.messages.out,
    );
    counter("parley_bytes_out_total", "Bytes written to WebSocket clients.", () => this.transport.bytesOut);
    counter("parley_store_errors_total", "History store operations that failed.", () => this.messages.storeErrors);
    this.storeWrite = new TalliedHistogram({
      name: "parley_store_write_seconds",
      help: "Time from a message's append to it being durable (group commit included).",
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
    this.broadcastLatency = new TalliedHistogram({
      name: "parley_broadcast_seconds",
      help: "Time from a durable message's publish to its frames being written to this node's sockets.",
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers,
    });
    const up = (name: string, help: string, probe: (s: MetricSources) => Promise<boolean>) =>
      new Gauge({
        name,
        help,
        registers,
        async collect() {
          this.set(self.sources ? ((await probe(self.sources)) ? 1 : 0) : 0);
        },
      });
    up("parley_store_up", "1 when the history store answers a ping.", (s) => s.storeUp());
    up("parley_broker_up", "1 when the broker answers a ping (its connection state).", (s) => s.brokerUp());
    collectDefaultMetrics({ register: this.registry });
    this.stopGcCount = countEveryGc(this.registry);
  }

  /** Stops what observes the runtime (the GC entries) for this registry: the node is closing. */
  stop(): void {
    this.stopGcCount();
  }

  /** The gauges read from these at scrape time. */
  watch(sources: MetricSources): void {
    this.sources = sources;
  }

  connectionOpened(mode: Mode): void {
    this.open[mode]++;
    this.opened[mode]++;
  }

  connectionClosed(mode: Mode, reason: CloseReason): void {
    this.open[mode]--;
    this.closed[reason]++;
  }

  refused(reason: RefusalReason): void {
    this.refusals[reason]++;
  }

  handshakeCut(reason: HandshakeCutReason): void {
    this.handshakeCuts[reason]++;
  }

  adminRefused(reason: AdminRefusal): void {
    this.adminRefusals[reason]++;
  }

  dropped(reason: DropReason): void {
    this.drops[reason]++;
  }

  errorSent(code: ErrorCode): void {
    this.errorsSent[code] = (this.errorsSent[code] ?? 0) + 1;
  }

  paced(): void {
    this.messages.paced++;
  }

  resumed(complete: boolean): void {
    this.resumes[complete ? "complete" : "incomplete"]++;
  }

  nickRequested(result: string): void {
    if (result in this.nickRequests) this.nickRequests[result as NickResult]++;
  }

  messageIn(): void {
    this.messages.in++;
  }

  duplicate(): void {
    this.messages.duplicate++;
  }

  messageOut(): void {
    this.messages.out++;
  }

  storeError(): void {
    this.messages.storeErrors++;
  }

  storeWritten(seconds: number): void {
    this.storeWrite.tally(seconds);
  }

  broadcast(seconds: number): void {
    this.broadcastLatency.tally(seconds);
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }
}
