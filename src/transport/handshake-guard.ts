import type { IncomingMessage, Server, ServerOptions, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { normalizeIp } from "./conn-limits.ts";
import { closeWith } from "./refuse.ts";

export interface HandshakeGuardOptions {
  /** Milliseconds a socket has to send a request's headers (0: no deadline); then 408 and closed. */
  deadlineMs: number;
  /** Sockets from one address that have not sent their headers yet (0: no cap); more get 429 and are closed. */
  maxPerIp: number;
  /** Proxies carry many clients on their address: the deadline applies to them, the per-address cap does not. */
  trustedProxies: ReadonlySet<string>;
}

/** Why an unfinished socket was closed: past the deadline, or over its address's cap. */
export type HandshakeCut = "timeout" | "per_ip";

export interface HandshakeGuardEvents {
  cut(reason: HandshakeCut, ip: string): void;
}

interface Pending {
  ip: string;
  counted: boolean;
  timer: NodeJS.Timeout | undefined;
}

interface Tracked {
  /** The client's address, normalised once at its connection. */
  ip: string;
  pending: Pending | undefined;
  /** Requests read on this socket whose response is not finished: it is not waiting on the client. */
  inFlight: number;
}

const REQUEST_TIMEOUT =
  "HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n";
const TOO_MANY = "HTTP/1.1 429 Too Many Requests\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n";

/**
 * Slowloris defence for both ports. A socket is "unfinished" from its connection until its request's
 * headers are in (the page's `request`, or an `upgrade`), and again between keep-alive requests. Each
 * has `deadlineMs` (its own timer, so the cut is on time: Node's `headersTimeout` is only checked
 * every `connectionsCheckingInterval`), and one address may hold `maxPerIp` of them at once.
 */
export class HandshakeGuard {
  private readonly sockets = new Map<Socket, Tracked>();
  private readonly perIp = new Map<string, number>();
  private unfinished = 0;
  /**
   * The one 'close' listener of every watched socket (`this` is the socket), removed at the
   * upgrade: no closure, once-wrapper or context per socket kept for a WebSocket's whole life.
   */
  private readonly onSocketClose: (this: Socket) => void;

  private readonly options: HandshakeGuardOptions;
  private readonly events: HandshakeGuardEvents;

  constructor(options: HandshakeGuardOptions, events: HandshakeGuardEvents) {
    this.options = options;
    this.events = events;
    this.onSocketClose = closeListener(this);
  }

  /** Sockets that have not sent their request's headers yet, on every watched server. */
  get pending(): number {
    return this.unfinished;
  }

  /**
   * Node's own request timeouts, as a backstop behind this guard's deadline: the headers a second
   * later than it (never first), a request's body within another deadline, checked every second.
   */
  serverOptions(): ServerOptions {
    const { deadlineMs } = this.options;
    if (deadlineMs <= 0) return {};
    const headersTimeout = deadlineMs + 1000;
    return {
      headersTimeout,
      requestTimeout: headersTimeout + deadlineMs,
      connectionsCheckingInterval: Math.min(1000, deadlineMs),
    };
  }

  watch(server: Server): void {
    // Node's HTTP server takes its sockets through its own 'connection' listener: put the cap in
    // front of it, so a refused socket never gets a parser (whose reply to the request would race ours).
    const httpConnection = server.listeners("connection") as Array<(socket: Socket) => void>;
    server.removeAllListeners("connection");
    server.on("connection", (socket: Socket) => {
      const ip = normalizeIp(socket.remoteAddress ?? "");
      if (!this.admit(socket, ip)) return;
      for (const listener of httpConnection) listener.call(server, socket);
      this.connected(socket, ip);
    });
    server.on("request", (req: IncomingMessage, res: ServerResponse) => {
      const tracked = this.sockets.get(req.socket as Socket);
      if (!tracked) return;
      this.settle(tracked);
      tracked.inFlight++;
      const socket = req.socket as Socket;
      res.once("close", () => {
        tracked.inFlight--;
        // Keep-alive: the next request's headers get a deadline of their own. (Read from the socket
        // kept here: req.socket is null once Node has let go of it, after a response that closed it.)
        if (tracked.inFlight === 0 && !socket.destroyed) this.arm(socket, tracked);
      });
    });
    // From here the gateway decides, within its own bounds; the socket is no longer the client's to hold.
    server.on("upgrade", (req: IncomingMessage) => {
      const socket = req.socket as Socket;
      this.forget(socket);
      socket.removeListener("close", this.onSocketClose);
    });
  }

  /** false: the address holds its cap of unfinished sockets already; this one is answered 429 and closed. */
  private admit(socket: Socket, ip: string): boolean {
    if (!this.counts(ip) || (this.perIp.get(ip) ?? 0) < this.options.maxPerIp) return true;
    this.events.cut("per_ip", ip);
    const body = `Too many unfinished requests from your address (at most ${this.options.maxPerIp}).\n`;
    closeWith(socket, `${TOO_MANY}Retry-After: 1\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    return false;
  }

  private connected(socket: Socket, ip: string): void {
    const tracked: Tracked = { ip, pending: undefined, inFlight: 0 };
    this.sockets.set(socket, tracked);
    socket.on("close", this.onSocketClose);
    this.arm(socket, tracked);
  }

  /** The socket is upgraded or gone: it is nobody's unfinished socket any more. */
  forget(socket: Socket): void {
    const tracked = this.sockets.get(socket);
    if (tracked) this.settle(tracked);
    this.sockets.delete(socket);
  }

  private arm(socket: Socket, tracked: Tracked): void {
    if (tracked.pending) return;
    const { ip } = tracked;
    const pending: Pending = { ip, counted: this.counts(ip), timer: undefined };
    tracked.pending = pending;
    this.unfinished++;
    if (pending.counted) this.perIp.set(ip, (this.perIp.get(ip) ?? 0) + 1);
    if (this.options.deadlineMs <= 0) return;
    pending.timer = setTimeout(() => {
      // Judged after the loop's next read: headers that arrived in time but wait unread behind a
      // late event loop settle the socket first, so a busy server never cuts a punctual client.
      setImmediate(() => {
        if (tracked.pending !== pending) return;
        this.settle(tracked);
        this.events.cut("timeout", ip);
        const body = "The request took too long to arrive.\n";
        closeWith(socket, `${REQUEST_TIMEOUT}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
      });
    }, this.options.deadlineMs);
    pending.timer.unref();
  }

  private counts(ip: string): boolean {
    return this.options.maxPerIp > 0 && !this.options.trustedProxies.has(ip);
  }

  /** The socket is no longer unfinished (headers in, upgraded, cut or closed). */
  private settle(tracked: Tracked): void {
    const pending = tracked.pending;
    if (!pending) return;
    tracked.pending = undefined;
    clearTimeout(pending.timer);
    this.unfinished--;
    if (!pending.counted) return;
    const left = (this.perIp.get(pending.ip) ?? 1) - 1;
    if (left > 0) this.perIp.set(pending.ip, left);
    else this.perIp.delete(pending.ip);
  }
}

const closeListener = (guard: HandshakeGuard) =>
  function onClose(this: Socket): void {
    guard.forget(this);
  };
