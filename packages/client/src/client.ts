import { backoffDelay } from "./backoff.ts";
import { Connection } from "./connection.ts";
import { Emitter } from "./emitter.ts";
import { Identity } from "./identity.ts";
import { Nickname } from "./nickname.ts";
import { type Settings, settingsOf } from "./options.ts";
import { Outbox, type OutFrame } from "./outbox.ts";
import type { JoinOptions, Room, RoomHost } from "./room.ts";
import { RoomSet } from "./rooms.ts";
import { Searches, type SearchOptions, type SearchResults } from "./search.ts";
import { dialUrl } from "./socket.ts";
import {
  type Ack,
  type AuthUser,
  type ClientEvents,
  type ClientOptions,
  type ConnectionState,
  ParleyServerError,
} from "./types.ts";
import { type FileInfo, httpOrigin, postFile, Tickets, type UploadOptions, whenJoined } from "./upload.ts";
import type { SdkEvent } from "./wire.ts";

/**
 * A Parley connection that keeps itself alive: it reconnects with backoff, rejoins every room from
 * its last seq, and sends what waits in the outbox, until `close()` or a close code that means "stop".
 */
export class ParleyClient extends Emitter<ClientEvents> implements RoomHost {
  readonly url: string;
  private readonly settings: Settings;
  private readonly connection: Connection;
  private readonly outbox: Outbox;
  private readonly rooms: RoomSet;
  private readonly nickname: Nickname;
  private readonly identity: Identity;
  private readonly searches: Searches;
  private readonly tickets: Tickets;
  /** A new connection's rejoins and resends wait for the answer to its name claim. */
  private resumePending = false;
  private keptRooms: string[] = [];
  /** The last `welcome`'s reconnect key: sent with the name on the next connection, to take it back at once. */
  private reconnectKey: string | undefined;

  constructor(url: string, options: ClientOptions = {}) {
    super();
    this.settings = settingsOf(options);
    const { timers } = this.settings;
    this.url = dialUrl(url);
    const transmit = (frame: Parameters<Connection["transmit"]>[0]) => this.connection.transmit(frame);
    this.nickname = new Nickname(
      {
        sendNick: (nick, reclaiming) =>
          transmit({ type: "nick", nick, reconnectKey: reclaiming ? this.reconnectKey : undefined }),
        changed: (nick, previous, interim) => this.emit("nick", { nick, previous, interim }),
        unclaimed: (error) => this.emit("error", error),
      },
      options.nick,
    );
    this.identity = new Identity(options.getToken, {
      transmit,
      auth: (change) => this.emit("auth", change),
      typing: (notice) => this.emit("typing", notice),
      unread: (change) => this.emit("unread", change),
      timers,
    });
    this.searches = new Searches(transmit);
    this.tickets = new Tickets(transmit);
    this.outbox = new Outbox({
      transmit,
      canSend: (room) => this.ready && this.rooms.has(room),
      retryDelay: (attempt) => this.delay(attempt),
      timers,
    });
    this.rooms = new RoomSet({
      transmit,
      connection: () => this.connection.current,
      outbox: this.outbox,
      retryDelay: () => this.delay(1),
      timers,
    });
    this.connection = new Connection(this.url, this.settings, {
      protocols: (ready, failed) => this.identity.tokens.protocols(ready, failed),
      opened: () => this.opened(),
      message: (data) => this.receive(data),
      refused: (status) => this.identity.tokens.handshakeFailed(status),
      lost: () => this.connectionLost(),
      stopped: (error) => {
        this.outbox.failAll(error);
        this.nickname.fail(error);
        this.searches.failAll(error);
        this.tickets.failAll(error);
      },
      state: (change) => {
        this.emit("state", change);
        this.emit(change.state, change);
      },
    });
    // Dial on the next microtask, so listeners added right after connect() see `connecting`.
    void Promise.resolve().then(() => this.connection.open());
  }

  get state(): ConnectionState {
    return this.connection.state;
  }

  /** Your nickname on the server, once welcomed. */
  get nick(): string | undefined {
    return this.nickname.nick;
  }

  /** The signed-in user (from `welcome`), with the current token's `exp`; undefined when anonymous or offline. */
  get user(): AuthUser | undefined {
    return this.identity.user;
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
    if (this.connection.stopped) throw new Error("This client is closed.");
    const existing = this.rooms.get(name);
    if (existing) return existing;
    const room = this.rooms.join(name, this, options, this.ready);
    this.identity.watch(room);
    return room;
  }

  /** Asks for a nickname; resolves with it when the server agrees, rejects with its error (e.g. `nick_taken`). */
  setNick(nick: string): Promise<string> {
    if (this.connection.stopped) return Promise.reject(new Error("This client is closed."));
    return this.nickname.set(nick);
  }

  /** Tells a joined room you are typing; sent at most once per 2.5 s per room (true when sent): call it on each keystroke. */
  typing(room: string): boolean {
    return this.identity.typing(this.rooms.get(room));
  }

  /** Marks `room` read up to `seq` (default: the last seen) on all the user's connections; false when anonymous. */
  read(room: string, seq?: number): boolean {
    return this.identity.read(room, this.rooms.get(room), seq);
  }

  /** Sends read positions `read()` is holding back (at most one frame per second per room) now, e.g. as a page closes. */
  sendPendingReads(): void {
    this.identity.flush();
  }

  /** A signed-in user's unread messages in `room`: from the server, counted on with each new message. */
  unread(room: string): number | undefined {
    return this.identity.unread(room);
  }

  /**
   * Signed in: the rooms the user keeps joined, on any device (from the last `welcome`; a `join` adds one, a
   * `leave` removes it, on the server). Join the ones you want: the client does not join them by itself.
   */
  userRooms(): string[] {
    return [...this.keptRooms];
  }

  /** Every unread count known, by room (rooms not joined too, from `welcome`). */
  unreadCounts(): Record<string, number> {
    return this.identity.unreadByRoom();
  }

  /**
   * Full-text search in every room this connection may read (docs/protocol.md, `search`): words,
   * "a phrase", -excluded. Resolves with a page of hits, each with its matching words as ranges;
   * rejects with a ParleyServerError (`bad_request`, `forbidden`, `busy`: one search at a time) or
   * when offline or the connection drops before the answer.
   */
  search(query: string, options: SearchOptions = {}): Promise<SearchResults> {
    if (this.connection.stopped) return Promise.reject(new Error("This client is closed."));
    return this.searches.search(query, options);
  }

  /**
   * Asks the server now whether the connection still works (call it on the browser's `offline` and `online`
   * events): without an answer within `ping.timeout` ms it is dropped and redialled, every room resumed.
   */
  checkConnection(): void {
    this.connection.probe();
  }

  /**
   * A ticket to upload into `room` yourself (docs/files.md), for a caller that posts the bytes with its own
   * progress and cancel (the page, over XMLHttpRequest); then `room.send(text, { file: id })`. Most callers
   * want `room.upload`. Rejects when offline, or with a ParleyServerError (`not_in_room`).
   */
  uploadTicket(room: string): ReturnType<Tickets["ask"]> {
    if (this.connection.stopped) return Promise.reject(new Error("This client is closed."));
    return this.tickets.ask(room);
  }

  /** Closes for good: no reconnect; unacked sends are rejected. Resolves when the socket is closed. */
  close(): Promise<void> {
    if (!this.connection.stopped) this.identity.flush();
    return this.connection.close();
  }

  // --- RoomHost ---

  send(room: Room, frame: OutFrame, cid: string | undefined): Promise<Ack> {
    if (this.connection.stopped) return Promise.reject(new Error("This client is closed."));
    if (!this.rooms.has(room)) return Promise.reject(new Error(`Not in ${room.name}; join it first.`));
    return this.outbox.add(room, frame, cid);
  }

  /** @internal Room.upload: a ticket over the socket, the bytes over HTTP, then a `send` carrying the file. */
  async upload(room: Room, file: Blob | Uint8Array, options: UploadOptions): Promise<{ file: FileInfo; ack: Ack }> {
    if (!this.rooms.has(room)) throw new Error(`Not in ${room.name}; join it first.`);
    await whenJoined(room);
    const ticket = await this.tickets.ask(room.name);
    const { sha256: _sha256, ...stored } = await postFile(httpOrigin(this.url), ticket, file, options);
    const ack = await this.send(room, { type: "send", text: options.text ?? "", file: stored.id }, options.cid);
    return { file: stored, ack };
  }

  leave(room: Room): Promise<void> {
    if (this.rooms.has(room)) this.identity.left(room.name);
    return this.rooms.leave(room, this.connection.online);
  }

  requestHistory(room: Room, before: number, limit: number | undefined): void {
    this.connection.transmit({ type: "history", room: room.name, before, limit });
  }

  // --- one connection's life ---

  private opened(): void {
    // The nickname first, then every room from its last seq, then the outbox. The server may still be taking the
    // name when the next frames arrive, so joins and sends wait for its answer: presence and messages show our name.
    const claiming = !this.identity.tokens.offered && this.nickname.opened(); // signed in: the token's name
    this.resumePending = true;
    if (!claiming) this.resume();
  }

  /** After the name is settled on a new connection: rooms, then the outbox. */
  private resume(): void {
    if (!this.resumePending || !this.nickname.settled) return;
    this.resumePending = false;
    this.rooms.rejoinAll();
    this.outbox.resendAll();
  }

  private receive(data: string): void {
    let event: SdkEvent;
    try {
      event = JSON.parse(data) as SdkEvent;
    } catch {
      return; // not ours to judge; the server only sends JSON on parley.v1
    }
    const room = "room" in event && typeof event.room === "string" ? this.rooms.get(event.room) : undefined;
    if (this.identity.receive(event, room) || this.searches.receive(event) || this.tickets.receive(event)) return;
    switch (event.type) {
      case "welcome":
        this.reconnectKey = event.reconnectKey;
        this.keptRooms = event.joined ?? [];
        this.nickname.welcomed(event.nick, event.user !== undefined);
        this.connection.welcomed();
        return;
      case "nick":
        this.nickname.granted(event.nick);
        this.resume();
        return;
      case "message":
      case "history":
      case "joined":
      case "presence":
      case "delete":
      case "edit":
      case "react":
      case "left":
        this.rooms.handle(event);
        return;
      case "mention": {
        const { room, seq, nick, text, ts, mentions } = event;
        this.emit(
          "mention",
          mentions === undefined ? { room, seq, nick, text, ts } : { room, seq, nick, text, ts, mentions },
        );
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
    if (this.nickname.refused(error)) {
      this.resume();
      return;
    }
    if (!this.rooms.refused(error)) this.emit("error", error);
  }

  private connectionLost(): void {
    this.resumePending = false;
    this.searches.failAll(new Error("The connection was lost before the search was answered; search again."));
    this.nickname.lost();
    this.identity.lost();
    this.rooms.offline();
    this.outbox.pause();
  }

  private delay(attempt: number): number {
    return backoffDelay(attempt, this.settings.backoff, this.settings.random);
  }

  /** Open, and done taking the name: rooms may be joined and messages sent. */
  private get ready(): boolean {
    return this.connection.online && !this.resumePending;
  }
}

/** Opens a Parley client; see `ClientOptions`. Like centrifuge-js's `new Centrifuge(url)` + `connect()`. */
export const connect = (url: string, options: ClientOptions = {}): ParleyClient => new ParleyClient(url, options);
