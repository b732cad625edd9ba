import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { ParleyConfig } from "./config.ts";
import { createEngines, type Engines } from "./engines.ts";
import { createHttpApp } from "./http/app.ts";
import { CLOSE } from "./protocol/close-codes.ts";
import { ChatService } from "./service/chat-service.ts";
import { binaryRefused, handleFrame } from "./service/inbound.ts";
import { Gateway } from "./transport/gateway.ts";

export interface RunningParley {
  readonly port: number;
  readonly wsPort: number;
  readonly service: ChatService;
  /** Store, broker and presence; `engines.broker.stats()` and `service.order.stats` count cluster failures. */
  readonly engines: Engines;
  /** Stops accepting, closes every client with 1001, flushes the store. */
  close(): Promise<void>;
}

export { createStore } from "./engines.ts";

/** The one place where Parley's parts are put together. */
export const startParley = async (config: ParleyConfig): Promise<RunningParley> => {
  const engines = createEngines(config);
  const { store, broker } = engines;
  await engines.ready().catch(async (error: unknown) => {
    await engines.close().catch(() => {});
    throw error;
  });
  const service = new ChatService({
    store,
    broker,
    presence: engines.presence,
    nodeId: engines.nodeId,
    random: Math.random,
    now: Date.now,
    historyLimit: config.historyLimit,
    maxHistoryLimit: config.maxHistoryLimit,
    maxRoomsPerMember: config.maxRooms,
  });
  const gateway = new Gateway(
    { maxPayload: config.maxPayload, maxQueueBytes: config.maxQueueBytes },
    {
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
    },
    service.fanout,
  );
  const app = createHttpApp({
    ready: async () => Promise.all([store.ping(), broker.ping(), engines.presence.ping()]).then(() => {}),
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
    engines,
    close: () => {
      closing ??= (async () => {
        page.close();
        cookbook.close();
        gateway.closeAll(CLOSE.goingAway, "server shutting down: reconnect");
        service.closeAll();
        service.fanout.flush();
        service.order.close();
        await engines.close();
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
