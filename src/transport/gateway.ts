import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { type WebSocket, WebSocketServer } from "ws";
import { isParleyError, ParleyError } from "../chat/errors.ts";
import { roomFromPath } from "../chat/room-name.ts";
import { SUBPROTOCOL_JSON } from "../protocol/json.ts";
import { Connection, type ConnectionInfo } from "./connection.ts";
import type { Fanout } from "./fanout.ts";
import { refuseUpgrade } from "./refuse.ts";

export interface GatewayOptions {
  /** Largest frame or message accepted, in bytes; bigger closes with 1009. */
  maxPayload: number;
  maxQueueBytes: number;
}

/** What the gateway reports; like websocket-driver's open / message / close events. */
export interface GatewayHandlers {
  open(conn: Connection): void;
  text(conn: Connection, data: string): void;
  binary(conn: Connection): void;
  close(conn: Connection, code: number, reason: string): void;
}

/** Accepts WebSocket upgrades (on any HTTP server) and turns sockets into Connections. */
export class Gateway {
  private readonly wss: WebSocketServer;
  readonly connections = new Set<Connection>();

  constructor(
    private readonly options: GatewayOptions,
    private readonly handlers: GatewayHandlers,
    private readonly fanout: Fanout,
  ) {
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: options.maxPayload,
      perMessageDeflate: false,
      clientTracking: false,
      handleProtocols: (protocols) => (protocols.has(SUBPROTOCOL_JSON) ? SUBPROTOCOL_JSON : false),
    });
  }

  /** Handles an HTTP upgrade request: refused with a status before the handshake, or accepted. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    let info: ConnectionInfo;
    try {
      info = this.describe(req);
    } catch (error) {
      const message = isParleyError(error) ? error.message : "Bad request";
      refuseUpgrade(socket, 400, message);
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, info));
  }

  /** Closes every connection with `code` (1001 on shutdown: clients reconnect elsewhere). */
  closeAll(code: number, reason: string): void {
    for (const conn of this.connections) conn.close(code, reason);
  }

  private describe(req: IncomingMessage): ConnectionInfo {
    const requested = (req.headers["sec-websocket-protocol"] ?? "")
      .split(",")
      .map((p) => p.trim())
      .filter(Boolean);
    if (requested.length > 0 && !requested.includes(SUBPROTOCOL_JSON)) {
      throw new Error(`Unsupported subprotocol; this server speaks ${SUBPROTOCOL_JSON} or none.`);
    }
    const url = new URL(req.url ?? "/", "ws://parley");
    return {
      mode: requested.length > 0 ? "json" : "text",
      room: roomFromPath(url.pathname),
      since: sinceFrom(url.searchParams.get("since")),
      ip: req.socket.remoteAddress ?? "",
    };
  }

  private accept(ws: WebSocket, info: ConnectionInfo): void {
    const conn = new Connection(ws, info, this.fanout, { maxQueueBytes: this.options.maxQueueBytes });
    this.connections.add(conn);
    ws.on("message", (data, isBinary) => {
      if (conn.closed) return;
      if (isBinary) this.handlers.binary(conn);
      else this.handlers.text(conn, (data as Buffer).toString("utf8"));
    });
    ws.on("close", (code, reason) => {
      conn.closed = true;
      this.connections.delete(conn);
      this.handlers.close(conn, code, reason.toString());
    });
    // `ws` closes the socket itself on protocol errors (1002, 1007, 1009); 'close' follows.
    ws.on("error", () => {});
    this.handlers.open(conn);
  }
}

/** `?since=N` resumes the URL's room from seq N (JSON mode). */
const sinceFrom = (raw: string | null): number | undefined => {
  if (raw === null) return undefined;
  const since = Number(raw);
  if (raw === "" || !Number.isSafeInteger(since) || since < 0) {
    throw new ParleyError("bad_request", "since must be a whole number ≥ 0.");
  }
  return since;
};
