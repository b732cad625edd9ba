import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { createApiKeyStore } from "./api-keys/engine.ts";
import { KeyUse } from "./api-keys/use.ts";
import { createAdmission } from "./auth/handshake.ts";
import { authFromConfig } from "./auth/setup.ts";
import type { Broker } from "./broker/broker.ts";
import { RoomAccess } from "./chat/identity.ts";
import { createEngines, type Engines } from "./engines.ts";
import { createFiles, type Files } from "./files/engine.ts";
import { createFileRoutes } from "./files/http.ts";
import { tellingDeletes } from "./files/on-delete.ts";
import { apiMetrics, createApiHandler } from "./http/api/index.ts";
import { createHttpApp, readiness, tokenUrlOrigin } from "./http/app.ts";
import type { Logger } from "./log.ts";
import { Ops, type ParleyDeps } from "./ops.ts";
import { CLOSING } from "./protocol/close-codes.ts";
import { ChatService } from "./service/chat-service.ts";
import { binaryRefused, handleFrame, rateLimited } from "./service/inbound.ts";
import { privacyAtStart, privacyReport } from "./service/room-privacy.ts";
import { ACCESS_CHANNEL } from "./service/users.ts";
import type { ParleyConfig } from "./settings.ts";
import { connectionCap, DESCRIPTOR_RESERVE, readOpenFilesLimit } from "./transport/descriptor-limit.ts";
import { Gateway } from "./transport/gateway.ts";
import { gatewayOptions } from "./transport/options.ts";
import { WebhookDispatcher } from "./webhooks/dispatcher.ts";
import type { WebhookStore } from "./webhooks/endpoints.ts";
import { createWebhookStore } from "./webhooks/engine.ts";
import { WebhookStats } from "./webhooks/stats.ts";

/** Where Parley listens, besides its settings. */
export interface Attach {
  /**
   * An HTTP server of yours: Parley answers WebSocket upgrades to `/chat` and `/chat/<room>` on it
   * (other upgrades are left to your listeners) and opens no page port; `handleRequest` serves the page
   * if you route requests to it. You listen and close it. The Cookbook port opens only with `textPort`.
   */
  server?: Server;
  /** With `server`: also open the Cookbook text port (`wsPort`). */
  textPort?: boolean;
}

export interface RunningParley {
  /** The page port (or the attached server's, once it listens). */
  readonly port: number;
  readonly wsPort: number;
  readonly service: ChatService;
  readonly log: Logger;
  /** Store, broker and presence; `engines.broker.stats()` and `service.order.stats` count cluster failures. */
  readonly engines: Engines;
  /** Files in messages (docs/files.md): `files.service.sweep()` removes what nothing refers to now. */
  readonly files: Files;
  /** The page, its assets, health, metrics and admin: a `node:http` request handler. */
  readonly handleRequest: (req: IncomingMessage, res: ServerResponse) => void;
  /** Stops accepting, closes every client with 1001, flushes the store. */
  close(): Promise<void>;
}

/** The one place where Parley's parts are put together. */
export const startParley = async (
  config: ParleyConfig,
  deps: ParleyDeps = {},
  attach: Attach = {},
): Promise<RunningParley> => {
  const auth = authFromConfig(config);
  tokenUrlOrigin(config.authTokenUrl); // a token URL the page could not use fails here, before anything opens
  const ops = new Ops(config, deps);
  if (auth.mode === "required" && !config.authTokenUrl) {
    // Only a #token= link can get in: say so now, not when the first person finds the page refusing them.
    ops.log.warn(
      { event: "auth_without_sign_in" },
      "--auth required without --auth-token-url: the page has no way to sign in; only links with #token=… get in",
    );
  }
  const openFiles = readOpenFilesLimit();
  const fitted = connectionCap(config.maxConnections, openFiles);
  if (fitted.lowered && openFiles) {
    // Past the descriptor limit the kernel resets new sockets unseen; under the cap they get a 503 that says why.
    ops.log.warn(
      {
        event: "descriptor_limit",
        soft: openFiles.soft,
        hard: openFiles.hard,
        maxConnections: config.maxConnections,
        cap: fitted.cap,
      },
      `ulimit -n is ${openFiles.soft}: at most ${fitted.cap} WebSocket connections (${DESCRIPTOR_RESERVE} descriptors kept for the rest), then 503; raise the limit (ulimit -n, hard limit ${openFiles.hard}) to serve --max-connections ${config.maxConnections || "(no limit)"}`,
    );
  }
  const engines = await createEngines(config, deps.store);
  const apiKeys = await createApiKeyStore(config).catch(async (error: unknown) => {
    await engines.close().catch(() => {});
    throw error;
  });
  const keyUse = new KeyUse();
  let webhooks: WebhookStore;
  try {
    webhooks = await createWebhookStore(config, engines.store, deps.store !== undefined);
  } catch (error) {
    // Opened already: released, or the data directory stays locked and the process alive.
    await apiKeys.close().catch(() => {});
    await engines.close().catch(() => {});
    throw error;
  }
  await engines
    .ready()
    .then(() => apiKeys.start())
    .then(() => webhooks.start())
    .catch(async (error: unknown) => {
      await webhooks.close().catch(() => {});
      await apiKeys.close().catch(() => {});
      await engines.close().catch(() => {});
      throw error;
    });
  let files: Files;
  try {
    files = await createFiles(config, engines.store);
  } catch (error) {
    await webhooks.close().catch(() => {});
    await apiKeys.close().catch(() => {});
    await engines.close().catch(() => {});
    throw error;
  }
  // Private rooms: the stored set is the one truth of every node; the flag seeds it (room-privacy.ts).
  const privacy = privacyAtStart(auth.privateRooms, await engines.users.roomPrivacy());
  const access = new RoomAccess(privacy.privateRooms);
  // A delete, from any path, takes the file its message carried with it (src/files/on-delete.ts).
  const store = tellingDeletes(ops.store(engines.store), (room, seq) => {
    files.service.messageDeleted(room, seq).catch((error: unknown) => service.report("file_removal", error));
  });
  const broker: Broker = ops.broker(engines.broker);
  const authenticate = auth.verify && createAdmission({ mode: auth.mode, verify: auth.verify, access });
  // The gateway delivers for the service (its fan-out); its handlers call the service only once sockets connect.
  const gateway = new Gateway(
    { ...gatewayOptions(config, fitted.cap), stats: ops.metrics.transport, authenticate },
    ops.gatewayHandlers({
      open: (conn) => service.open(conn),
      text: (conn, data) => {
        const session = service.sessionOf(conn);
        if (session) handleFrame(service, session, data);
      },
      binary: (conn) => {
        const session = service.sessionOf(conn);
        if (session) session.fail(binaryRefused, {});
      },
      rateLimited: (conn, data) => {
        const session = service.sessionOf(conn);
        ops.metrics.dropped("rate");
        if (session) rateLimited(session, data);
      },
      paced: () => ops.metrics.paced(),
      close: (conn) => service.close(conn),
      recipients: (room, visit) => service.recipients(room, visit),
    }),
  );
  const service = new ChatService({
    ...ops.serviceHooks,
    store,
    search: engines.search,
    files: files.attachments,
    broker,
    delivery: gateway,
    presence: engines.presence,
    nodeId: engines.nodeId,
    random: Math.random,
    now: Date.now,
    historyLimit: config.historyLimit,
    maxHistoryLimit: config.maxHistoryLimit,
    maxRoomsPerMember: config.maxRooms,
    userAccess: {
      users: engines.users,
      access,
      verifyToken: auth.verify,
      clockToleranceMs: auth.clockToleranceMs,
      typingIntervalMs: config.typingIntervalMs,
    },
  });
  await broker.subscribe(ACCESS_CHANNEL);
  for (const room of privacy.seed) await service.userAccess.setRoomPrivate(room, true);
  const report = privacyReport(auth.privateRooms, privacy);
  if (report) ops.log[report.level]({ event: "private_rooms", rooms: privacy.privateRooms }, report.message);
  const webhookStats = new WebhookStats(ops.metrics.registry);
  const dispatcher = new WebhookDispatcher({
    store: webhooks,
    history: store,
    access,
    owner: engines.nodeId,
    timeoutMs: config.webhookTimeoutMs,
    disableAfterMs: config.webhookDisableAfterMs,
    pollMs: WEBHOOK_POLL_MS,
    observe: webhookStats,
    report: (what, error) => service.report(what, error),
  });
  dispatcher.start();
  const apiLimiter =
    config.redis && config.apiRate > 0
      ? new (await import("./http/api/shared-rate.ts")).RedisCallerRate({
          url: config.redis,
          prefix: config.redisPrefix,
          nodeId: engines.nodeId,
          perSecond: config.apiRate,
          burst: config.apiBurst,
          report: (what, error) => service.report(what, error),
        })
      : undefined;
  const apiObserver = apiMetrics(ops.metrics.registry);
  const app = createHttpApp({
    ready: readiness({
      store: async () => {
        await store.ping();
        await ops.storeWrites.check(() => store.probeWrite());
      },
      broker: () => broker.ping(),
      presence: () => engines.presence.ping(),
    }),
    ...ops.http({
      service,
      store,
      broker,
      connections: () => gateway.connections,
      apiKeys,
      keyUse,
      webhooks,
      webhookStats,
    }),
    api: createApiHandler({
      service,
      store,
      search: engines.search,
      keys: apiKeys,
      keyUse,
      users: engines.users,
      access,
      verifyToken: auth.verify,
      log: ops.log,
      historyLimit: config.historyLimit,
      maxHistoryLimit: config.maxHistoryLimit,
      rate: { perSecond: config.apiRate, burst: config.apiBurst },
      limiter: apiLimiter,
      sse: { heartbeatMs: config.sseHeartbeatMs, stallMs: config.sseStallMs },
      observe: apiObserver,
      files: files.attachments,
    }),
    files: createFileRoutes({
      ...{ files: files.service, keys: apiKeys, access, verifyToken: auth.verify, log: ops.log },
      observe: apiObserver,
    }),
    page: { authTokenUrl: config.authTokenUrl, auth: auth.mode },
  });
  const stopSweeps = files.startSweeps((error) => service.report("file_sweep", error));

  const guard = ops.handshakes;
  // An attached server is the host's own (its timeouts stand): Parley guards the servers it makes.
  const page = attach.server ?? createServer(guard.serverOptions(), app);
  if (!attach.server) guard.watch(page);
  const upgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    if (path === "/chat" || path.startsWith("/chat/")) gateway.handleUpgrade(req, socket, head);
    else if (!attach.server) socket.end("HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
  };
  page.on("upgrade", upgrade);
  const cookbook = createServer(guard.serverOptions(), (_req, res) => {
    res.writeHead(426, {
      "Content-Type": "text/plain; charset=utf-8",
      "X-Content-Type-Options": "nosniff",
      Upgrade: "websocket",
    });
    res.end("This port speaks WebSocket only; the page is on the HTTP port.\n");
  });
  cookbook.on("upgrade", (req, socket, head) => gateway.handleUpgrade(req, socket, head));
  guard.watch(cookbook);

  if (!attach.server) await listen(page, config.port, config.host);
  const textPort = !attach.server || attach.textPort === true;
  if (textPort) await listen(cookbook, config.wsPort, config.host);
  const portOf = (server: Server): number => (server.address() as AddressInfo | null)?.port ?? 0;
  if (portOf(page) !== 0) gateway.pagePort = portOf(page); // an attached server not listening yet: --port stands

  let closing: Promise<void> | undefined;
  return {
    get port() {
      return portOf(page);
    },
    wsPort: portOf(cookbook),
    handleRequest: app,
    service,
    log: ops.log,
    engines,
    files,
    close: () => {
      closing ??= (async () => {
        if (attach.server) attach.server.off("upgrade", upgrade);
        else page.close(); // stop accepting; upgrades still in flight get 503
        if (textPort) cookbook.close();
        // Appends already made commit and are acked before the clients are told to go.
        await new Promise((resolve) => setImmediate(resolve));
        gateway.flush();
        const closed = gateway.shutdown(CLOSING.shutdown, closeGraceMs(config));
        service.closeAll();
        gateway.flush();
        await closed;
        service.order.close();
        await dispatcher.stop();
        stopSweeps();
        apiLimiter?.close();
        if (!attach.server) page.closeAllConnections(); // event streams end before their store closes under them
        await engines.close();
        await apiKeys.close();
        await webhooks.close();
        await files.close();
        cookbook.closeAllConnections();
        ops.metrics.stop();
      })();
      return closing;
    },
  };
};

/** How often each node asks the store which webhook endpoints have messages due (one query per endpoint due). */
const WEBHOOK_POLL_MS = 250;

/** How long clients get to answer the 1001 close before they are dropped: within the shutdown deadline. */
const closeGraceMs = (config: ParleyConfig): number => Math.min(2000, Math.floor(config.shutdownMs / 2));

const listen = (server: Server, port: number, host: string): Promise<void> =>
  new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
