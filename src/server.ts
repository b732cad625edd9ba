import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import type { Broker } from "./broker/broker.ts";
import { MemoryBroker } from "./broker/memory.ts";
import type { ParleyConfig } from "./config.ts";
import { createHttpApp } from "./http/app.ts";
import type { Logger } from "./log.ts";
import { Ops, type ParleyDeps } from "./ops.ts";
import { CLOSE } from "./protocol/close-codes.ts";
import { ChatService } from "./service/chat-service.ts";
import { binaryRefused, handleFrame } from "./service/inbound.ts";
import type { HistoryStore, Retention } from "./store/history-store.ts";
import { MemoryStore } from "./store/memory.ts";
import { SqliteStore } from "./store/sqlite.ts";
import { Gateway } from "./transport/gateway.ts";

export interface RunningParley {
  readonly port: number;
  readonly wsPort: number;
  readonly service: ChatService;
  readonly log: Logger;
  /** Stops accepting, closes every client with 1001, flushes the store. */
  close(): Promise<void>;
}

const DAY_MS = 24 * 60 * 60 * 1000;

export const createStore = (config: ParleyConfig): HistoryStore => {
  const retention: Retention = {
    maxMessagesPerRoom: config.retainMessages,
    maxAgeMs: config.retainDays * DAY_MS,
  };
  if (config.store === "memory") return new MemoryStore(retention);
  if (config.store === "sqlite") {
    return new SqliteStore({
      file: join(config.dataDir, "parley.db"),
      retention,
      synchronous: config.sqliteSync,
    });
  }
  throw new Error(`Unknown store "${config.store}"; use sqlite or memory.`);
};

/** The one place where Parley's parts are put together. */
export const startParley = async (config: ParleyConfig, deps: ParleyDeps = {}): Promise<RunningParley> => {
  const ops = new Ops(config, deps);
  const store = ops.store(deps.store ?? createStore(config));
  const broker: Broker = ops.broker(new MemoryBroker());
  const service = new ChatService({
    ...ops.serviceHooks,
    store,
    broker,
    random: Math.random,
    now: Date.now,
    historyLimit: config.historyLimit,
    maxHistoryLimit: config.maxHistoryLimit,
    maxRoomsPerMember: config.maxRooms,
  });
  const gateway = new Gateway(
    { maxPayload: config.maxPayload, maxQueueBytes: config.maxQueueBytes, stats: ops.metrics.transport },
    ops.gatewayHandlers({
      open: (conn) => service.open(conn),
      text: (conn, data) => {
        const session = service.sessionOf(conn);
        if (session) handleFrame(service, session, data);
      },
      binary: (conn) => {
        const session = service.sessionOf(conn);
        if (session) service.fail(session, binaryRefused, {});
      },
      close: (conn) => service.close(conn),
    }),
    service.fanout,
  );
  const app = createHttpApp({
    ready: async () => Promise.all([store.ping(), broker.ping()]).then(() => {}),
    ...ops.http({ service, store, broker, connections: () => gateway.connections }),
  });

  const page = createServer(app);
  page.on("upgrade", (req, socket, head) => {
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    if (path === "/chat" || path.startsWith("/chat/")) gateway.handleUpgrade(req, socket, head);
    else socket.end("HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
  });
  const cookbook = createServer((_req, res) => {
    res.writeHead(426, { "Content-Type": "text/plain; charset=utf-8", Upgrade: "websocket" });
    res.end("This port speaks WebSocket only; the page is on the HTTP port.\n");
  });
  cookbook.on("upgrade", (req, socket, head) => gateway.handleUpgrade(req, socket, head));

  await listen(page, config.port, config.host);
  await listen(cookbook, config.wsPort, config.host);

  let closing: Promise<void> | undefined;
  return {
    port: (page.address() as AddressInfo).port,
    wsPort: (cookbook.address() as AddressInfo).port,
    service,
    log: ops.log,
    close: () => {
      closing ??= (async () => {
        page.close();
        cookbook.close();
        gateway.closeAll(CLOSE.goingAway, "server shutting down: reconnect");
        service.fanout.flush();
        await store.close();
        await broker.close();
        page.closeAllConnections();
        cookbook.closeAllConnections();
      })();
      return closing;
    },
  };
};

const listen = (server: Server, port: number, host: string): Promise<void> =>
  new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
