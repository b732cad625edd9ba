import type { DestinationStream } from "pino";
import type { ApiKeyStore } from "./api-keys/keys.ts";
import type { KeyUse } from "./api-keys/use.ts";
import type { Broker } from "./broker/broker.ts";
import { nickKey } from "./chat/nick.ts";
import { createAdmin } from "./http/admin.ts";
import { AdminThrottle } from "./http/admin-throttle.ts";
import { createAdminKeys } from "./http/api/admin-keys.ts";
import { createAdminWebhooks } from "./http/api/admin-webhooks.ts";
import type { HttpAppOptions } from "./http/app.ts";
import { type AdminRefusal, Metrics } from "./http/metrics.ts";
import { createLogger, type Logger, LogThrottle } from "./log.ts";
import type { ChatService, ChatServiceOptions } from "./service/chat-service.ts";
import { Bans, Moderation } from "./service/moderation.ts";
import { observeBroker, observeStore, WriteHealth } from "./service/observed.ts";
import { ConnectionWatch } from "./service/watch.ts";
import type { ParleyConfig } from "./settings.ts";
import type { HistoryStore } from "./store/history-store.ts";
import { parseIpList } from "./transport/conn-limits.ts";
import type { GatewayHandlers } from "./transport/gateway.ts";
import { HandshakeGuard } from "./transport/handshake-guard.ts";
import type { SocketLink } from "./transport/socket-link.ts";
import type { WebhookStore } from "./webhooks/endpoints.ts";
import type { WebhookStats } from "./webhooks/stats.ts";

/** What the caller of `startParley` may supply besides the config. */
export interface ParleyDeps {
  /** Where JSON log lines go (default stdout); tests capture them here. */
  logStream?: DestinationStream;
  /** A history store to use instead of the configured one (its owner may close it). */
  store?: HistoryStore;
}

const BOT_PREFIX_KEY = nickKey("bot:");

const answers = (ping: () => Promise<void>): Promise<boolean> => {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), 1000);
  });
  const pinged = Promise.resolve()
    .then(ping)
    .then(
      () => true,
      () => false,
    );
  return Promise.race([pinged, timeout]).finally(() => clearTimeout(timer));
};

/**
 * The operations side of one Parley: logger, metrics, bans and the admin API, and the small
 * hooks that attach them to the store, broker, service and gateway. `server.ts` wires it in.
 */
export class Ops {
  readonly log: Logger;
  readonly metrics = new Metrics();
  readonly bans = new Bans(Date.now);
  /** Whether the history store's writes work (for `/readyz`). */
  readonly storeWrites = new WriteHealth();
  /** Slowloris defence on both ports: cuts are counted, and logged a few lines per flood. */
  readonly handshakes: HandshakeGuard;
  /** Warnings that a flood would repeat per socket or per request, one line per kind and window. */
  readonly floodLog: LogThrottle;
  private readonly watch: ConnectionWatch;

  private readonly config: ParleyConfig;

  constructor(config: ParleyConfig, deps: ParleyDeps = {}) {
    this.config = config;
    this.log = createLogger(config.logLevel, deps.logStream);
    this.watch = new ConnectionWatch(this.metrics, this.log);
    this.floodLog = new LogThrottle(this.log);
    this.handshakes = new HandshakeGuard(
      {
        deadlineMs: config.handshakeTimeoutMs,
        maxPerIp: config.maxHandshakesPerIp,
        trustedProxies: parseIpList(config.trustedProxies),
      },
      {
        cut: (reason, ip) => {
          this.metrics.handshakeCut(reason);
          const why = reason === "timeout" ? "request headers too slow: 408" : "too many unfinished sockets: 429";
          this.floodLog.warn(`handshake_${reason}`, { event: "handshake_cut", reason, ip }, `socket cut: ${why}`);
        },
      },
    );
  }

  store(store: HistoryStore): HistoryStore {
    return observeStore(store, this.metrics, this.log, this.storeWrites);
  }

  broker(broker: Broker): Broker {
    return observeBroker(broker, this.metrics, this.log);
  }

  /** Options for the chat service: nick bans, counts for metrics, failures with no request to answer. */
  get serviceHooks(): Pick<
    ChatServiceOptions,
    "nickBanned" | "resumed" | "refused" | "nickRequested" | "report" | "busy"
  > {
    return {
      // `bot:` names are the HTTP API's publishers (`bot:<key name>`): nobody may pass for one.
      nickBanned: (nick) => this.bans.has("nick", nick) || nickKey(nick).startsWith(BOT_PREFIX_KEY),
      refused: (code) => this.metrics.errorSent(code),
      resumed: (complete) => this.metrics.resumed(complete),
      nickRequested: (result) => this.metrics.nickRequested(result),
      // `what` is one of a fixed few labels: the throttle's table stays small.
      report: (what, error) =>
        this.floodLog.error(`failed_${what}`, { event: "failed", what, err: error }, `${what} failed`),
      busy: () => this.metrics.dropped("busy"),
    };
  }

  /** The gateway's handlers, with open/close logged and counted, and address bans refused (403). */
  gatewayHandlers(handlers: GatewayHandlers): GatewayHandlers {
    return {
      ...handlers,
      open: (conn) => {
        this.watch.opened(conn);
        handlers.open(conn);
      },
      close: (conn, code, reason) => {
        handlers.close(conn, code, reason);
        this.watch.closed(conn, code);
      },
      admit: (info) => {
        const refusal = handlers.admit?.(info);
        if (refusal) return refusal;
        if (!this.bans.has("ip", info.ip)) return undefined;
        return { status: 403, message: "This address is banned here for now.", reason: "banned" };
      },
      refused: (refusal) => {
        handlers.refused?.(refusal);
        this.metrics.refused(refusal.reason);
        this.log.info({ event: "refused", status: refusal.status, reason: refusal.reason }, "upgrade refused");
      },
    };
  }

  /** `/metrics` and, when a token is configured, `/admin`. */
  http(parts: {
    service: ChatService;
    store: HistoryStore;
    broker: Broker;
    connections: () => Iterable<SocketLink>;
    /** API keys, created and revoked at `/admin/api/keys`, and their use on this node. */
    apiKeys: ApiKeyStore;
    keyUse: KeyUse;
    /** Webhook endpoints, at `/admin/api/webhooks`, and this node's delivery figures. */
    webhooks: WebhookStore;
    webhookStats: WebhookStats;
  }): Pick<HttpAppOptions, "metrics" | "admin"> {
    const { service, store, broker } = parts;
    this.metrics.watch({
      rooms: () => service.hub.roomNames().length,
      members: () => service.hub.memberCount,
      storeUp: () => answers(() => store.ping()),
      brokerUp: () => answers(() => broker.ping()),
      unfinishedHandshakes: () => this.handshakes.pending,
    });
    if (this.config.adminToken === "") return { metrics: this.metrics };
    const moderation = new Moderation({
      hub: service.hub,
      connections: parts.connections,
      store,
      broker,
      bans: this.bans,
    });
    const privacy = {
      setRoomPrivate: (room: string, isPrivate: boolean) => service.userAccess.setRoomPrivate(room, isPrivate),
      privateRooms: () => service.userAccess.privateRooms(),
    };
    const throttle = new AdminThrottle();
    const trustedProxies = parseIpList(this.config.trustedProxies);
    const refused = (reason: AdminRefusal, ip: string) => {
      this.metrics.adminRefused(reason);
      const why = reason === "token" ? "wrong or missing token" : "address slowed down after wrong tokens";
      this.floodLog.warn(`admin_${reason}`, { event: "admin_refused", reason, ip }, `admin API refused: ${why}`);
    };
    const admin = createAdmin({
      token: this.config.adminToken,
      moderation,
      log: this.log,
      privacy,
      trustedProxies,
      refused,
      throttle,
    });
    const keys = createAdminKeys({
      token: this.config.adminToken,
      keys: parts.apiKeys,
      keyUse: parts.keyUse,
      log: this.log,
      throttle,
      trustedProxies,
      refused,
    });
    const webhooks = createAdminWebhooks({
      token: this.config.adminToken,
      webhooks: parts.webhooks,
      stats: parts.webhookStats,
      log: this.log,
      throttle,
      trustedProxies,
      refused,
    });
    const under = (path: string, base: string) => path === base || path.startsWith(`${base}/`);
    return {
      metrics: this.metrics,
      admin: (req, res) => {
        const path = (req.url ?? "/").split("?")[0] ?? "/";
        if (under(path, "/admin/api/keys")) keys(req, res);
        else if (under(path, "/admin/api/webhooks")) webhooks(req, res);
        else admin(req, res);
      },
    };
  }
}
