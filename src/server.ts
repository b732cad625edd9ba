import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createAdmission } from "./auth/handshake.ts";
import { authFromConfig } from "./auth/setup.ts";
import type { Broker } from "./broker/broker.ts";
import { RoomAccess } from "./chat/identity.ts";
import { createEngines, type Engines } from "./engines.ts";
import { createHttpApp, readiness, tokenUrlOrigin } from "./http/app.ts";
import type { Logger } from "./log.ts";
import { Ops, type ParleyDeps } from "./ops.ts";
import { CLOSING } from "./protocol/close-codes.ts";
import { ChatService } from "./service/chat-service.ts";
import { binaryRefused, handleFrame, rateLimited } from "./service/inbound.ts";
import { privacyAtStart, privacyReport } from "./service/room-privacy.ts";
import { ACCESS_CHANNEL } from "./service/users.ts";
import type { ParleyConfig } from "./settings.ts";
import { Gateway } from "./transport/gateway.ts";
import { gatewayOptions } from "./transport/options.ts";

export interface RunningParley {
  readonly port: number;
  readonly wsPort: number;
  readonly service: ChatService;
  readonly log: Logger;
  /** Store, broker and presence; `engines.broker.stats()` and `service.order.stats` count cluster failures. */
  readonly engines: Engines;
  /** Stops accepting, closes every client with 1001, flushes the store. */
  close(): Promise<void>;
}

export { createStore } from "./engines.ts";

/** The one place where Parley's parts are put together. */
export const startParley = async (config: ParleyConfig, deps: ParleyDeps = {}): Promise<RunningParley> => {
  const auth = authFromConfig(config);
  tokenUrlOrigin(config.authTokenUrl); // a token URL the page could not use fails here, before anything opens
  const ops = new Ops(config, deps);
  const engines = createEngines(config, deps.store);
  await engines.ready().catch(async (error: unknown) => {
    await engines.close().catch(() => {});
    throw error;
  });
  // Private rooms: the stored set is the one truth of every node; the flag seeds it (room-privacy.ts).
  const privacy = privacyAtStart(auth.privateRooms, await engines.users.roomPrivacy());
  const access = new RoomAccess(privacy.privateRooms);
  const store = ops.store(engines.store);
  const broker: Broker = ops.broker(engines.broker);
  const authenticate = auth.verify && createAdmission({ mode: auth.mode, verify: auth.verify, access });
  // The gateway delivers for the service (its fan-out); its handlers call the service only once sockets connect.
  const gateway = new Gateway(
    { ...gatewayOptions(config), stats: ops.metrics.transport, authenticate },
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
  const app = createHttpApp({
    ready: readiness({
      store: async () => {
        await store.ping();
        await ops.storeWrites.check(() => store.probeWrite());
      },
      broker: () => broker.ping(),
      presence: () => engines.presence.ping(),
    }),
    ...ops.http({ service, store, broker, connections: () => gateway.connections }),
    page: { authTokenUrl: config.authTokenUrl, auth: auth.mode },
  });

  const guard = ops.handshakes;
  const page = createServer(guard.serverOptions(), app);
  guard.watch(page);
  page.on("upgrade", (req, socket, head) => {
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    if (path === "/chat" || path.startsWith("/chat/")) gateway.handleUpgrade(req, socket, head);
    else socket.end("HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
  });
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

  await listen(page, config.port, config.host);
  await listen(cookbook, config.wsPort, config.host);
  gateway.pagePort = (page.address() as AddressInfo).port;

  let closing: Promise<void> | undefined;
  return {
    port: (page.address() as AddressInfo).port,
    wsPort: (cookbook.address() as AddressInfo).port,
    service,
    log: ops.log,
    engines,
    close: () => {
      closing ??= (async () => {
        page.close(); // stop accepting; upgrades still in flight get 503
        cookbook.close();
        // Appends already made commit and are acked before the clients are told to go.
        await new Promise((resolve) => setImmediate(resolve));
        gateway.flush();
        const closed = gateway.shutdown(CLOSING.shutdown, closeGraceMs(config));
        service.closeAll();
        gateway.flush();
        await closed;
        service.order.close();
        await engines.close();
        page.closeAllConnections();
        cookbook.closeAllConnections();
      })();
      return closing;
    },
  };
};

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
