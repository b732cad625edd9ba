import { backoffDelay } from "./backoff.ts";
import { type Dialing, dialSocket } from "./dial.ts";
import { Liveness } from "./liveness.ts";
import type { Settings } from "./options.ts";
import { CLOSE, SUBPROTOCOL_JSON, shouldReconnect } from "./protocol.ts";
import { OPEN, type SocketLike } from "./socket.ts";
import type { ConnectionState, StateChange } from "./types.ts";
import type { SdkFrame } from "./wire.ts";

export interface ConnectionHost {
  /** The subprotocols for the next dial (asking for a token first, when signing in). */
  protocols(ready: (protocols: string[]) => void, failed: (reason: string) => void): void;
  /** A socket is open and speaks `parley.v1`. */
  opened(): void;
  message(data: string): void;
  /** A dial never opened; `status`: the HTTP status of the refusal, when the WebSocket tells it. */
  refused(status: number | undefined): void;
  /** The socket is gone, whatever the reason. */
  lost(): void;
  /** For good: fail what can no longer be delivered. */
  stopped(error: Error): void;
  state(change: StateChange): void;
}

/**
 * The connection state machine: dials, and after a close either reconnects with backoff (at once after
 * 4005, "token expired") or stops, for a close code that means "stop", a refused protocol, or `close()`.
 */
export class Connection {
  private socket: SocketLike | undefined;
  private dialing: Dialing | undefined;
  private currentState: ConnectionState = "connecting";
  private attempt = 0;
  private retryTimer: unknown;
  private isStopped = false;
  private readonly liveness: Liveness;

  private readonly url: string;
  private readonly settings: Settings;
  private readonly host: ConnectionHost;

  constructor(url: string, settings: Settings, host: ConnectionHost) {
    this.url = url;
    this.settings = settings;
    this.host = host;
    this.liveness = new Liveness(
      settings.timers,
      settings.ping,
      (id) => this.transmit({ type: "ping", id }),
      (reason) => this.silent(reason),
    );
  }

  get state(): ConnectionState {
    return this.currentState;
  }

  get stopped(): boolean {
    return this.isStopped;
  }

  get online(): boolean {
    return this.socket?.readyState === OPEN;
  }

  /** The open socket, as a token for "this connection" (undefined when offline). */
  get current(): object | undefined {
    return this.online ? this.socket : undefined;
  }

  transmit(frame: SdkFrame): boolean {
    if (this.socket?.readyState !== OPEN) return false;
    this.socket.send(JSON.stringify(frame));
    return true;
  }

  /** The server's welcome: connected, and the attempt count starts over. */
  welcomed(): void {
    this.attempt = 0;
    this.setState({ state: "connected", attempt: 0, willReconnect: true });
  }

  open(): void {
    if (this.isStopped) return;
    this.setState({ state: "connecting", attempt: this.attempt, willReconnect: true });
    const attempt = this.attempt;
    const current = () => !this.isStopped && !this.socket && this.attempt === attempt && this.state === "connecting";
    this.host.protocols(
      (list) => current() && this.dial(list),
      (reason) => current() && this.dropped(1006, reason),
    );
  }

  /** Asks the server now whether this connection still works; redials if no answer comes (liveness.ts). */
  probe(): void {
    if (this.online) this.liveness.probe();
  }

  /** Closes for good; resolves when the socket is closed. */
  close(): Promise<void> {
    if (this.isStopped) return Promise.resolve();
    const socket = this.socket;
    const closed = new Promise<void>((resolve) => {
      if (!socket) resolve();
      else socket.addEventListener("close", () => resolve());
    });
    this.detach();
    try {
      socket?.close(1000, "client closed");
    } catch {
      // a socket still connecting may refuse; it is dropped either way
    }
    this.host.lost();
    this.stop(1000, "closed by the client");
    return closed;
  }

  private dial(protocols: string[]): void {
    const { WebSocketClass, timers, connectTimeout } = this.settings;
    try {
      this.dialing = dialSocket(WebSocketClass, this.url, protocols, timers, connectTimeout, {
        opened: (socket) => this.opened(socket),
        message: (data) => {
          this.liveness.frame();
          this.host.message(data);
        },
        closed: (code, reason, refused) => {
          this.detach();
          if (refused) this.host.refused(refused.status);
          this.dropped(code, reason);
        },
      });
      this.socket = this.dialing.socket;
    } catch (error) {
      // A malformed URL does not get better by retrying.
      this.stop(1006, `Cannot open ${this.url}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  private opened(socket: SocketLike): void {
    this.dialing?.settle();
    if (socket.protocol === SUBPROTOCOL_JSON) {
      this.liveness.start();
      this.host.opened();
      return;
    }
    this.detach();
    socket.close(1000, "wrong protocol");
    this.host.lost();
    this.stop(1002, `The server did not agree to ${SUBPROTOCOL_JSON}; is this a Parley server?`);
  }

  /** The connection ended: decide between trying again and stopping. */
  private dropped(code: number, reason: string): void {
    this.host.lost();
    if (this.isStopped) return;
    if (!shouldReconnect(code)) {
      this.stop(code, reason);
      return;
    }
    // An expired token is no failure: get a fresh one and come back at once (resuming from `since`).
    const expired = code === CLOSE.tokenExpired;
    if (!expired) this.attempt += 1;
    const delay = expired ? 0 : backoffDelay(this.attempt, this.settings.backoff, this.settings.random);
    this.setState({ state: "reconnecting", code, reason, attempt: this.attempt, delay, willReconnect: true });
    this.retryTimer = this.settings.timers.setTimeout(() => {
      this.retryTimer = undefined;
      this.open();
    }, delay);
  }

  /** Half-open: the socket says open, nothing comes through. Dropped without waiting for a close handshake. */
  private silent(reason: string): void {
    const socket = this.socket;
    this.detach();
    try {
      socket?.close(1000, "no answer to ping");
    } catch {
      // closing a dead socket may refuse; it is dropped either way
    }
    this.dropped(1006, reason);
  }

  /** Terminal: say why. */
  private stop(code: number, reason: string): void {
    this.isStopped = true;
    this.settings.timers.clearTimeout(this.retryTimer);
    this.dialing?.abandon();
    this.host.stopped(new Error(`Disconnected (${code}${reason ? `: ${reason}` : ""}); not reconnecting.`));
    this.setState({ state: "disconnected", code, reason, attempt: this.attempt, willReconnect: false });
  }

  private detach(): void {
    this.liveness.stop();
    this.socket = undefined;
    this.dialing?.abandon();
    this.dialing = undefined;
  }

  private setState(change: StateChange): void {
    this.currentState = change.state;
    this.host.state(change);
  }
}
