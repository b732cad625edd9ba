import { shouldReconnect } from "../protocol/close-codes.ts";
import { type ClientFrame, type ServerEvent, SUBPROTOCOL_JSON } from "../protocol/json.ts";
import { type BackoffOptions, backoffDelay, DEFAULT_BACKOFF } from "./backoff.ts";
import { Emitter } from "./emitter.ts";
import { Nickname } from "./nickname.ts";
import { Outbox } from "./outbox.ts";
import { type JoinOptions, Room, type RoomHost } from "./room.ts";
import { defaultTimers, dialUrl, OPEN, type SocketLike } from "./socket.ts";
import {
  type Ack,
  type ClientEvents,
  type ClientOptions,
  type ConnectionState,
  ParleyServerError,
  type StateChange,
  type Timers,
  type WebSocketConstructor,
} from "./types.ts";

/** Join errors after which joining again cannot help. */
const JOIN_FATAL = new Set(["bad_room", "too_many_rooms", "forbidden", "bad_request"]);

/**
 * A Parley connection that keeps itself alive: it reconnects with backoff, rejoins every room from
 * its last seq, and sends what waits in the outbox, until `close()` or a close code that means "stop".
 */
export class ParleyClient extends Emitter<ClientEvents> implements RoomHost {
  readonly url: string;
  private readonly WebSocketClass: WebSocketConstructor;
  private readonly timers: Timers;
  private readonly random: () => number;
  private readonly backoff: BackoffOptions;
  private readonly connectTimeout: number;
  private readonly outbox: Outbox;
  private readonly rooms = new Map<string, Room>();
  private readonly leaving = new Map<string, { room: Room; done(): void }>();
  private socket: SocketLike | undefined;
  private currentState: ConnectionState = "connecting";
  private readonly nickname: Nickname;
  private attempt = 0;
  private retryTimer: unknown;
  private connectTimer: unknown;
  private stopped = false;

  constructor(url: string, options: ClientOptions = {}) {
    super();
    const WebSocketClass = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (!WebSocketClass) {
      throw new TypeError("No WebSocket here: pass one, e.g. connect(url, { WebSocket }) with WebSocket from 'ws'.");
    }
    this.url = dialUrl(url);
    this.WebSocketClass = WebSocketClass;
    this.timers = options.timers ?? defaultTimers;
    this.random = options.random ?? Math.random;
    this.backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
    if (!(this.backoff.minDelay > 0 && this.backoff.maxDelay >= this.backoff.minDelay)) {
      throw new RangeError("backoff needs 0 < minDelay ≤ maxDelay.");
    }
    this.connectTimeout = options.connectTimeout ?? 10_000;
    this.nickname = new Nickname(
      {
        sendNick: (nick) => {
          if (this.socket?.readyState !== OPEN) return false;
          this.transmit({ type: "nick", nick });
          return true;
        },
        changed: (nick, previous) => this.emit("nick", { nick, previous }),
        unclaimed: (error) => this.emit("error", error),
      },
      options.nick,
    );
    this.outbox = new Outbox({
      transmit: (frame) => this.transmit(frame),
      canSend: (room) => this.socket?.readyState === OPEN && this.rooms.get(room.name) === room,
      retryDelay: (attempt) => backoffDelay(attempt, this.backoff, this.random),
      timers: this.timers,
    });
    // Dial on the next microtask, so listeners added right after connect() see `connecting`.
    void Promise.resolve().then(() => this.open());
  }

  get state(): ConnectionState {
    return this.currentState;
  }

  /** Your nickname on the server, once welcomed. */
  get nick(): string | undefined {
    return this.nickname.nick;
  }

  /** Sends not yet acknowledged by the server. */
  get pending(): number {
    return this.outbox.size;
  }

  room(name: string): Room | undefined {
    return this.rooms.get(name);
  }

  /** Joins a room (again after every reconnect, resuming from its last seq) and returns its handle. */
  join(name: string, options: JoinOptions = {}): Room {
    if (this.stopped) throw new Error("This client is closed.");
    const existing = this.rooms.get(name);
    if (existing) return existing;
    const room = new Room(name, this, options);
    this.rooms.set(name, room);
    if (this.socket?.readyState === OPEN) this.transmit(room.joinFrame());
    return room;
  }

  /** Asks for a nickname; resolves with it when the server agrees, rejects with its error (e.g. `nick_taken`). */
  setNick(nick: string): Promise<string> {
    if (this.stopped) return Promise.reject(new Error("This client is closed."));
    return this.nickname.set(nick);
  }

  /** Closes for good: no reconnect; unacked sends are rejected. Resolves when the socket is closed. */
  close(): Promise<void> {
    if (this.stopped) return Promise.resolve();
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
    this.connectionLost();
    this.stop(1000, "closed by the client");
    return closed;
  }

  // --- RoomHost ---

  send(room: Room, text: string, cid: string | undefined): Promise<Ack> {
    if (this.stopped) return Promise.reject(new Error("This client is closed."));
    if (this.rooms.get(room.name) !== room) return Promise.reject(new Error(`Not in ${room.name}; join it first.`));
    return this.outbox.add(room, text, cid);
  }

  leave(room: Room): Promise<void> {
    if (this.rooms.get(room.name) !== room) return Promise.resolve();
    this.rooms.delete(room.name);
    this.outbox.failRoom(room, new Error(`Left ${room.name} before the message was acknowledged.`));
    if (this.socket?.readyState !== OPEN || room.state === "offline") {
      room.handleLeft();
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.leaving.set(room.name, { room, done: resolve });
      this.transmit({ type: "leave", room: room.name });
    });
  }

  requestHistory(room: Room, before: number, limit: number | undefined): void {
    this.transmit({ type: "history", room: room.name, before, limit });
  }

  // --- the connection state machine ---

  private open(): void {
    if (this.stopped) return;
    this.setState({ state: "connecting", attempt: this.attempt, willReconnect: true });
    let socket: SocketLike;
    try {
      socket = new this.WebSocketClass(this.url, [SUBPROTOCOL_JSON]) as SocketLike;
    } catch (error) {
      // A malformed URL does not get better by retrying.
      this.stop(1006, `Cannot open ${this.url}: ${error instanceof Error ? error.message : String(error)}`);
      return;
    }
    this.socket = socket;
    this.connectTimer = this.timers.setTimeout(() => {
      if (this.socket !== socket || socket.readyState === OPEN) return;
      this.detach();
      try {
        socket.close();
      } catch {
        // already failing
      }
      this.dropped(1006, `no connection within ${this.connectTimeout} ms`);
    }, this.connectTimeout);
    socket.addEventListener("open", () => {
      if (this.socket === socket) this.opened(socket);
    });
    socket.addEventListener("message", (event) => {
      if (this.socket === socket && typeof event.data === "string") this.receive(event.data);
    });
    socket.addEventListener("close", (event) => {
      if (this.socket !== socket) return;
      this.detach();
      this.dropped(event.code ?? 1006, event.reason ?? "");
    });
    socket.addEventListener("error", () => {}); // a close event follows
  }

  private opened(socket: SocketLike): void {
    this.timers.clearTimeout(this.connectTimer);
    if (socket.protocol !== SUBPROTOCOL_JSON) {
      this.detach();
      socket.close(1000, "wrong protocol");
      this.connectionLost();
      this.stop(1002, `The server did not agree to ${SUBPROTOCOL_JSON}; is this a Parley server?`);
      return;
    }
    // In this order: the nickname first (so joins announce it), then every room from its last seq, then the outbox.
    this.nickname.opened();
    for (const room of this.rooms.values()) this.transmit(room.joinFrame());
    this.outbox.resendAll();
  }

  private receive(data: string): void {
    let event: ServerEvent;
    try {
      event = JSON.parse(data) as ServerEvent;
    } catch {
      return; // not ours to judge; the server only sends JSON on parley.v1
    }
    const room = "room" in event && typeof event.room === "string" ? this.rooms.get(event.room) : undefined;
    switch (event.type) {
      case "welcome":
        this.attempt = 0;
        this.nickname.welcomed(event.nick);
        this.setState({ state: "connected", attempt: 0, willReconnect: true });
        return;
      case "nick":
        this.nickname.granted(event.nick);
        return;
      case "message":
      case "history":
      case "joined":
      case "presence":
      case "delete":
        room?.handleEvent(event);
        return;
      case "left": {
        const leaving = this.leaving.get(event.room);
        this.leaving.delete(event.room);
        leaving?.room.handleLeft();
        leaving?.done();
        return;
      }
      case "ack":
        if (event.cid !== null) {
          const { cid, seq, id, ts, duplicate } = event;
          this.outbox.acked({ cid, room: event.room, seq, id, ts, duplicate });
        }
        return;
      case "error":
        this.serverError(new ParleyServerError(event.code, event.message, { room: event.room, cid: event.cid }));
        return;
    }
  }

  private serverError(error: ParleyServerError): void {
    if (error.cid !== undefined && this.outbox.failed(error)) return;
    if (this.nickname.refused(error)) return;
    const room = error.room !== undefined ? this.rooms.get(error.room) : undefined;
    if (!room) {
      this.emit("error", error);
      return;
    }
    room.handleError(error);
    if (room.state !== "joining") return;
    if (JOIN_FATAL.has(error.code)) {
      this.rooms.delete(room.name);
      this.outbox.failRoom(room, error);
      room.handleLeft();
    } else {
      // The server could not read the history and dropped the join: try again later on this connection.
      const socket = this.socket;
      this.timers.setTimeout(
        () => {
          if (this.socket === socket && socket?.readyState === OPEN && this.rooms.get(room.name) === room) {
            this.transmit(room.joinFrame());
            this.outbox.resendRoom(room);
          }
        },
        backoffDelay(1, this.backoff, this.random),
      );
    }
  }

  /** The connection ended: decide between trying again and stopping. */
  private dropped(code: number, reason: string): void {
    this.connectionLost();
    if (this.stopped) return;
    if (!shouldReconnect(code)) {
      this.stop(code, reason);
      return;
    }
    this.attempt += 1;
    const delay = backoffDelay(this.attempt, this.backoff, this.random);
    this.setState({ state: "reconnecting", code, reason, attempt: this.attempt, delay, willReconnect: true });
    this.retryTimer = this.timers.setTimeout(() => {
      this.retryTimer = undefined;
      this.open();
    }, delay);
  }

  private connectionLost(): void {
    this.nickname.lost();
    for (const room of this.rooms.values()) room.handleOffline();
    for (const { room, done } of this.leaving.values()) {
      room.handleLeft(); // the server forgets the membership with the connection
      done();
    }
    this.leaving.clear();
    this.outbox.pause();
  }

  /** Terminal: say why, fail what can no longer be delivered. */
  private stop(code: number, reason: string): void {
    this.stopped = true;
    this.timers.clearTimeout(this.retryTimer);
    this.timers.clearTimeout(this.connectTimer);
    const error = new Error(`Disconnected (${code}${reason ? `: ${reason}` : ""}); not reconnecting.`);
    this.outbox.failAll(error);
    this.nickname.fail(error);
    this.setState({ state: "disconnected", code, reason, attempt: this.attempt, willReconnect: false });
  }

  private detach(): void {
    this.socket = undefined;
    this.timers.clearTimeout(this.connectTimer);
  }

  private transmit(frame: ClientFrame): void {
    if (this.socket?.readyState === OPEN) this.socket.send(JSON.stringify(frame));
  }

  private setState(change: StateChange): void {
    this.currentState = change.state;
    this.emit("state", change);
    this.emit(change.state, change);
  }
}

/** Opens a Parley client; see `ClientOptions`. Like centrifuge-js's `new Centrifuge(url)` + `connect()`. */
export const connect = (url: string, options: ClientOptions = {}): ParleyClient => new ParleyClient(url, options);
