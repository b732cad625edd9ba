import type { IncomingMessage } from "node:http";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import { isParleyError, ParleyError } from "../chat/errors.ts";
import { roomFromPath } from "../chat/room-name.ts";
import type { Closing } from "../protocol/close-codes.ts";
import { SUBPROTOCOL_JSON, wantsAutoJoin } from "../protocol/json.ts";
import { isTokenProtocol, offeredProtocols } from "../protocol/token-protocol.ts";
import type { ConnectionInfo, RoomDelivery } from "./client-link.ts";
import { type ConnectionLimitOptions, ConnectionLimits, clientIp } from "./conn-limits.ts";
import { Fanout, type Payload, type RoomRecipients } from "./fanout.ts";
import { Heartbeat } from "./heartbeat.ts";
import { type OriginPolicy, originAllowed } from "./origin.ts";
import { type RateLimitOptions, rateLimiterFor } from "./rate-limit.ts";
import { type Authentication, type Refusal, refuseUpgrade } from "./refuse.ts";
import { socketListeners } from "./socket-events.ts";
import { type ConnectionOptions, SocketLink, type TransportStats } from "./socket-link.ts";
import type { Wire, WireEvents } from "./wire.ts";
import { handshakeProblem, openWire } from "./wire-handshake.ts";

export interface GatewayOptions {
  /** Largest frame or message accepted, in bytes; bigger closes with 1009. */
  maxPayload: number;
  maxQueueBytes: number;
  origin: OriginPolicy;
  limits: ConnectionLimitOptions;
  /** Peers whose `X-Forwarded-For` is believed. */
  trustedProxies: ReadonlySet<string>;
  rate: RateLimitOptions;
  /** Protocol ping interval in milliseconds (0: no heartbeat). */
  heartbeatMs: number;
  /** Where connections tally bytes written (for metrics). */
  stats: TransportStats;
  /** Checks the handshake's token (auth on); absent: everyone is anonymous, no token is read. */
  authenticate?: ((req: IncomingMessage, info: ConnectionInfo) => Promise<Authentication>) | undefined;
}

/** What the gateway reports; like websocket-driver's open / message / close events. */
export interface GatewayHandlers {
  open(conn: SocketLink): void;
  text(conn: SocketLink, data: string): void;
  binary(conn: SocketLink): void;
  /** A frame refused because too many over the rate were already waiting; `data` is its text, if it was text. */
  rateLimited(conn: SocketLink, data: string | undefined): void;
  /** A frame that waited for the rate limit before it was handled (for metrics). */
  paced?(conn: SocketLink): void;
  close(conn: SocketLink, code: number, reason: string): void;
  /** Asked before the handshake, once the client is known (address bans answer 403 here). */
  admit?(info: ConnectionInfo): Refusal | undefined;
  /** Told of every upgrade refused before the handshake. */
  refused?(refusal: Refusal): void;
  /** Who gets a room's live stream right now: the fan-out asks once per room at each flush. */
  recipients: RoomRecipients;
}

/** Accepts WebSocket upgrades (on any HTTP server), turns sockets into links, and delivers to rooms. */
export class Gateway implements RoomDelivery {
  private readonly limits: ConnectionLimits;
  private readonly heartbeat: Heartbeat;
  private readonly connOptions: ConnectionOptions;
  private readonly listeners: WireEvents;
  private accepting = true;
  /** Set while shutting down: called when the last connection is gone. */
  private emptied: (() => void) | undefined;
  readonly connections = new Set<SocketLink>();
  /** The fan-out writer every link of this gateway queues on. */
  private readonly fanout: Fanout;

  private readonly options: GatewayOptions;
  private readonly handlers: GatewayHandlers;

  constructor(options: GatewayOptions, handlers: GatewayHandlers) {
    this.options = options;
    this.handlers = handlers;
    this.fanout = new Fanout((room, visit) => handlers.recipients(room, visit));
    this.limits = new ConnectionLimits(options.limits);
    this.heartbeat = new Heartbeat(options.heartbeatMs, () => this.connections);
    this.heartbeat.start();
    this.connOptions = { maxQueueBytes: options.maxQueueBytes, stats: options.stats };
    this.listeners = socketListeners({
      text: (conn, data) => handlers.text(conn, data),
      binary: (conn) => handlers.binary(conn),
      rateLimited: (conn, data) => handlers.rateLimited(conn, data),
      paced: (conn) => handlers.paced?.(conn),
      close: (conn, code, reason) => {
        this.connections.delete(conn);
        this.limits.release(conn.info.ip);
        handlers.close(conn, code, reason);
        if (this.connections.size === 0) this.emptied?.();
      },
    });
  }

  toRoom(room: string, text: Payload | null, json: Payload | null, droppable = false): void {
    this.fanout.toRoom(room, text, json, droppable);
  }

  flush(): void {
    this.fanout.flush();
  }

  /** The port Parley's page is served on, once known: pages from there are same-site. */
  set pagePort(port: number) {
    this.options.origin = { ...this.options.origin, pagePort: port };
  }

  /** Handles an HTTP upgrade request: refused with a status before the handshake, or accepted. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (!this.accepting) {
      this.refuse(
        socket,
        { status: 503, message: "The server is shutting down; reconnect shortly.", reason: "shutting_down" },
        { "Retry-After": "1" },
      );
      return;
    }
    if (!originAllowed(req.headers.origin, req.headers.host, this.options.origin)) {
      this.refuse(socket, { status: 403, message: "This origin may not open a WebSocket here.", reason: "origin" });
      return;
    }
    let info: ConnectionInfo;
    try {
      info = this.describe(req);
    } catch (error) {
      const message = isParleyError(error) ? error.message : "Bad request";
      this.refuse(socket, { status: 400, message, reason: "bad_request" });
      return;
    }
    const refusal = this.handlers.admit?.(info);
    if (refusal) {
      this.refuse(socket, refusal);
      return;
    }
    const admission = this.limits.admit(info.ip);
    if (!admission.ok) {
      this.refuse(
        socket,
        { status: admission.status, message: admission.message, reason: "limit" },
        { "Retry-After": String(admission.retryAfterSeconds) },
      );
      return;
    }
    const authenticate = this.options.authenticate;
    if (!authenticate) {
      if (!this.upgrade(req, socket, head, info)) this.holdSlot(socket, info.ip);
      return;
    }
    const release = this.holdSlot(socket, info.ip);
    // Before the upgrade: a refused token never gets a WebSocket (401/403 with a body).
    authenticate(req, info).then(
      (verdict) => {
        if (!verdict.ok) this.refuse(socket, verdict.refusal, verdict.headers);
        else if (!socket.destroyed) {
          info.identity = verdict.identity;
          // Accepted: from now on the connection's close gives the slot back.
          if (this.upgrade(req, socket, head, info)) socket.removeListener("close", release);
        }
      },
      () => this.refuse(socket, { status: 503, message: "The token could not be checked.", reason: "unauthorized" }),
    );
  }

  /** True when the WebSocket handshake is answered (false: a malformed one, refused with 400 or 405). */
  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, info: ConnectionInfo): boolean {
    const problem = handshakeProblem(req);
    if (problem) {
      refuseUpgrade(socket, problem.status, problem.message, problem.headers);
      return false;
    }
    if (!socket.readable || !socket.writable) {
      socket.destroy();
      return false;
    }
    // describe() settled the subprotocol: `parley.v1` when offered (JSON mode), else none.
    const protocol = info.mode === "json" ? SUBPROTOCOL_JSON : undefined;
    this.accept(openWire(req, req.socket as Socket, head, protocol, this.listeners, this.options.maxPayload), info);
    return true;
  }

  /**
   * A handshake not (yet) accepted holds its slot as long as its socket lives; returns the
   * 'close' listener that gives it back, once. Accepted connections give it back on their close,
   * so the common path adds no listener and no closure here.
   */
  private holdSlot(socket: Duplex, ip: string): () => void {
    let held = true;
    const release = () => {
      if (!held) return;
      held = false;
      this.limits.release(ip);
    };
    socket.once("close", release);
    if (socket.destroyed) release();
    return release;
  }

  private refuse(socket: Duplex, refusal: Refusal, headers: Record<string, string> = {}): void {
    this.handlers.refused?.(refusal);
    refuseUpgrade(socket, refusal.status, refusal.message, headers);
  }

  /** Closes every connection (1001 on shutdown: clients reconnect elsewhere). */
  closeAll(closing: Closing): void {
    for (const conn of this.connections) conn.close(closing);
  }

  /**
   * Stops accepting, closes every connection with `code`, and resolves when all are gone:
   * those that have not finished the close handshake within `graceMs` are dropped.
   */
  async shutdown(closing: Closing, graceMs: number): Promise<void> {
    this.accepting = false;
    this.heartbeat.stop();
    this.closeAll(closing);
    if (!(await this.drained(graceMs))) {
      for (const conn of this.connections) conn.wire.terminate();
      await this.drained(1000);
    }
  }

  /** Resolves true once every connection is gone (told by their 'close' events), false after `timeoutMs`. */
  private drained(timeoutMs: number): Promise<boolean> {
    if (this.connections.size === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.emptied = undefined;
        resolve(false);
      }, timeoutMs);
      this.emptied = () => {
        clearTimeout(timer);
        this.emptied = undefined;
        resolve(true);
      };
    });
  }

  private describe(req: IncomingMessage): ConnectionInfo {
    // A token offered as a subprotocol is a credential, not a protocol: never chosen, never echoed.
    const offered = offeredProtocols(req);
    const requested = offered.filter((p) => !isTokenProtocol(p));
    if (requested.length === 0 && offered.length > 0) {
      throw new Error(`Offer ${SUBPROTOCOL_JSON} with the token; text-mode clients send it as ?token=.`);
    }
    if (requested.length > 0 && !requested.includes(SUBPROTOCOL_JSON)) {
      throw new Error(`Unsupported subprotocol; this server speaks ${SUBPROTOCOL_JSON} or none.`);
    }
    const raw = req.url ?? "/";
    // The usual `/chat/room`: a plain path is its own pathname, with no query to read.
    const url = PLAIN_PATH.test(raw) ? undefined : new URL(raw, "ws://parley");
    const mode = requested.length > 0 ? "json" : "text";
    return {
      mode,
      room: roomFromPath(url ? url.pathname : raw),
      autoJoin: mode === "text" || url === undefined || wantsAutoJoin(raw),
      since: url ? sinceFrom(url.searchParams.get("since")) : undefined,
      ip: clientIp(req.socket.remoteAddress ?? "", req.headers["x-forwarded-for"], this.options.trustedProxies),
    };
  }

  private accept(wire: Wire, info: ConnectionInfo): void {
    const conn = new SocketLink(
      wire,
      info,
      this.fanout,
      this.connOptions,
      rateLimiterFor(this.options.rate, Date.now()),
    );
    wire.conn = conn;
    this.connections.add(conn);
    this.handlers.open(conn);
  }
}

/** A URL that `new URL` would leave as it is, with no query: no dots, escapes, `?` or leading `//`. */
const PLAIN_PATH = /^\/(?!\/)[A-Za-z0-9_\-/]*$/;

/** `?since=N` resumes the URL's room from seq N (JSON mode). */
const sinceFrom = (raw: string | null): number | undefined => {
  if (raw === null) return undefined;
  const since = Number(raw);
  if (raw === "" || !Number.isSafeInteger(since) || since < 0) {
    throw new ParleyError("bad_request", "since must be a whole number ≥ 0.");
  }
  return since;
};
