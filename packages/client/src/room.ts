import { Emitter } from "./emitter.ts";
import type { OutFrame } from "./outbox.ts";
import type { ChangeEvent, ClientFrame, ResumeResult, ServerEvent } from "./protocol.ts";
import type { Ack, ChatMessage, ParleyServerError, RoomEvents } from "./types.ts";
import type { FileInfo, UploadOptions } from "./upload.ts";

type RoomServerEvent = Extract<
  ServerEvent,
  { type: "message" | "history" | "joined" | "presence" | "delete" | "edit" | "react" }
>;

/** Messages a room keeps in their current state for the app (the newest; older ones are dropped first). */
export const MAX_KEPT_MESSAGES = 2000;

/** What a room needs from its client; the client implements it. */
export interface RoomHost {
  send(room: Room, frame: OutFrame, cid: string | undefined): Promise<Ack>;
  leave(room: Room): Promise<void>;
  requestHistory(room: Room, before: number, limit: number | undefined): void;
  upload(room: Room, file: Blob | Uint8Array, options: UploadOptions): Promise<{ file: FileInfo; ack: Ack }>;
}

/**
 * `joining`: the join is sent, history is arriving. `joined`: live. `offline`: the connection is down;
 * the room is joined again, from its last seq, when it is back. `left`: for good.
 */
export type RoomState = "joining" | "joined" | "offline" | "left";

export interface JoinOptions {
  /** Resume after this seq (e.g. one you stored) instead of receiving the latest page. */
  since?: number;
  /** Size of the first page of history (the server caps it). */
  limit?: number;
}

/**
 * A room handle, like a phoenix.js channel or a centrifuge-js subscription. Its `message` events
 * are de-duplicated by seq: each message is emitted once, in order, however many reconnects.
 */
export class Room extends Emitter<RoomEvents> {
  private roomState: RoomState = "offline";
  private seen: number | undefined;
  private memberList: string[] = [];
  /** The lowest seq received, where `history()` continues by default. */
  private oldest: number | undefined;
  /** History frames of the join in progress: what they mean is known only at `joined`. */
  private catchUp: ChatMessage[] = [];
  /** Change events of the join in progress, applied after its page. */
  private catchUpChanges: ChangeEvent[] = [];
  /** Messages seen, by seq, in their current state (edits, deletions and reactions applied). */
  private readonly kept = new Map<number, ChatMessage>();
  private readonly olderWaiters: Array<{ resolve(m: ChatMessage[]): void; reject(e: Error): void }> = [];

  readonly name: string;
  private readonly host: RoomHost;
  private readonly options: JoinOptions;

  constructor(name: string, host: RoomHost, options: JoinOptions = {}) {
    super();
    this.name = name;
    this.host = host;
    this.options = options;
    this.seen = options.since;
  }

  get state(): RoomState {
    return this.roomState;
  }

  /** The highest seq seen in this room; undefined until the first join completes. */
  get lastSeq(): number | undefined {
    return this.seen;
  }

  /** Who is in the room, as of the last presence event. */
  get members(): readonly string[] {
    return this.memberList;
  }

  /**
   * Sends a message; resolves with the server's ack (its `seq`) once it is stored. While offline it waits
   * in the outbox and is sent after reconnecting; retried until acked, never stored twice. `cid` lets a
   * caller that kept an unacked message (e.g. across a page reload) send it again safely.
   */
  send(text: string, options: { cid?: string; replyTo?: number; file?: string } = {}): Promise<Ack> {
    const frame: OutFrame = { type: "send", text };
    if (options.replyTo !== undefined) frame.replyTo = options.replyTo;
    if (options.file !== undefined) frame.file = options.file; // an upload's id (uploadTicket): the message carries it
    return this.host.send(this, frame, options.cid);
  }

  /**
   * Shares a file: uploads it (with a ticket from the server, over HTTP: docs/files.md), then sends a
   * message carrying it. Resolves with the file as messages show it and the message's ack; rejects
   * with a ParleyServerError (`too_large`, `quota_exceeded`, `type_mismatch`, `rate_limited`, …).
   */
  upload(file: Blob | Uint8Array, options: UploadOptions = {}): Promise<{ file: FileInfo; ack: Ack }> {
    return this.host.upload(this, file, options);
  }

  /** Replies to the message at `seq` (its `replyTo`); as `send`. */
  reply(seq: number, text: string, options: { cid?: string } = {}): Promise<Ack> {
    return this.send(text, { ...options, replyTo: seq });
  }

  /** Edits one of your messages; acked once the edit is stored (its own seq). Refused: `forbidden`, `not_found`. */
  edit(seq: number, text: string, options: { cid?: string } = {}): Promise<Ack> {
    return this.host.send(this, { type: "edit", seq, text }, options.cid);
  }

  /** Deletes one of your messages (a tombstone stays: `deleted: true`, text ""). */
  delete(seq: number, options: { cid?: string } = {}): Promise<Ack> {
    return this.host.send(this, { type: "delete", seq }, options.cid);
  }

  /** Adds (`on` true), removes (false) or toggles (undefined) your reaction `emoji` (one Unicode emoji). */
  react(seq: number, emoji: string, options: { on?: boolean; cid?: string } = {}): Promise<Ack> {
    const frame: OutFrame = { type: "react", seq, emoji };
    if (options.on !== undefined) frame.on = options.on;
    return this.host.send(this, frame, options.cid);
  }

  /** The message at `seq` as it is now, if this room has seen it (the newest MAX_KEPT_MESSAGES are kept). */
  message(seq: number): ChatMessage | undefined {
    return this.kept.get(seq);
  }

  /** The messages this room keeps, ascending seq, each in its current state. */
  get messages(): ChatMessage[] {
    return [...this.kept.values()].sort((a, b) => a.seq - b.seq);
  }

  /** Leaves the room; unacked sends to it are rejected. */
  leave(): Promise<void> {
    return this.host.leave(this);
  }

  /** Asks for up to `limit` messages before `before` (default: the oldest one seen); also emitted as `history`. */
  history(options: { before?: number; limit?: number } = {}): Promise<ChatMessage[]> {
    if (this.roomState !== "joined") return Promise.reject(new Error(`Room ${this.name} is not joined right now.`));
    const before = options.before ?? this.oldest ?? (this.seen ?? 0) + 1;
    return new Promise((resolve, reject) => {
      this.olderWaiters.push({ resolve, reject });
      this.host.requestHistory(this, before, options.limit);
    });
  }

  // --- called by the client (internal) ---

  /** @internal The join frame for the next (re)join: from the last seq seen, if any. */
  joinFrame(): ClientFrame {
    this.roomState = "joining";
    this.catchUp = [];
    this.catchUpChanges = [];
    return { type: "join", room: this.name, since: this.seen, limit: this.options.limit };
  }

  /** @internal */
  handleOffline(): void {
    if (this.roomState !== "left") this.roomState = "offline";
    this.catchUp = [];
    this.catchUpChanges = [];
    this.failOlder(new Error("Disconnected before the history arrived."));
  }

  /** @internal The events about this room's content, from the client's dispatch. */
  handleEvent(event: RoomServerEvent): void {
    switch (event.type) {
      case "message": {
        const { type: _type, ...message } = event;
        this.handleMessage(message);
        return;
      }
      case "history":
        this.handleHistory(event.messages, event.changes ?? []);
        return;
      case "joined":
        this.handleJoined(event.lastSeq, event.resume);
        return;
      case "presence":
        this.handlePresence(event.action, event);
        return;
      case "delete":
      case "edit":
      case "react":
        this.handleChange(event, true);
        return;
    }
  }

  /**
   * A change to a message: its state replaced by the event's `message` (the state now, so applying an
   * event again, or after a newer page, is harmless). `live`: de-duplicated by its own seq (`at`).
   */
  private handleChange(event: ChangeEvent, live: boolean): void {
    if (live && event.at !== undefined) {
      if (this.seen !== undefined && event.at <= this.seen) return;
      this.seen = event.at;
    }
    const message = event.message;
    if (message && (this.kept.has(message.seq) || message.seq >= (this.oldest ?? 0))) this.keep(message);
    if (event.type === "delete") this.emit("delete", { room: this.name, seq: event.seq });
    if (!message) return;
    const { type: kind, nick, emoji, on } = event;
    this.emit("update", {
      room: this.name,
      kind,
      message,
      ...(nick ? { by: nick } : {}),
      ...(emoji ? { emoji, on } : {}),
    });
  }

  private keep(message: ChatMessage): void {
    this.kept.set(message.seq, message);
    if (this.kept.size <= MAX_KEPT_MESSAGES) return;
    let lowest = Number.POSITIVE_INFINITY;
    for (const seq of this.kept.keys()) if (seq < lowest) lowest = seq;
    this.kept.delete(lowest);
  }

  private handleHistory(messages: ChatMessage[], changes: ChangeEvent[]): void {
    if (this.roomState === "joining") {
      this.catchUp.push(...messages);
      this.catchUpChanges.push(...changes);
      return;
    }
    const waiter = this.olderWaiters.shift();
    for (const message of messages) this.keep(message);
    for (const change of changes) this.handleChange(change, false);
    this.noteOldest(messages);
    this.emit("history", { room: this.name, messages, kind: "older" });
    waiter?.resolve(messages);
  }

  /** End of catch-up: decide what the buffered history was, then go live. */
  private handleJoined(lastSeq: number, resume: ResumeResult | null): void {
    const page = this.catchUp;
    const changes = this.catchUpChanges;
    this.catchUp = [];
    this.catchUpChanges = [];
    if (resume && !resume.complete) this.kept.clear();
    for (const message of page) this.keep(message);
    const first = this.seen === undefined;
    this.roomState = "joined";
    if (resume && !resume.complete) {
      // Part of the gap is gone (retention) or the server's history is behind us: start over from its truth.
      this.seen = lastSeq;
      this.oldest = undefined;
      this.emit("resume-incomplete", { room: this.name, since: resume.since, lastSeq });
      this.noteOldest(page);
      this.emit("history", { room: this.name, messages: page, kind: "reset" });
    } else if (first) {
      this.seen = lastSeq;
      this.noteOldest(page);
      this.emit("history", { room: this.name, messages: page, kind: "initial" });
    } else {
      for (const message of page) this.handleMessage(message);
      this.seen = Math.max(this.seen ?? 0, lastSeq);
    }
    // The page's messages are current already; the changes bring older messages held here up to date.
    for (const change of changes) this.handleChange(change, false);
    this.emit("joined", { room: this.name, lastSeq, resumed: !first });
  }

  /** Emits only what is newer than everything seen: the de-duplication by seq. */
  private handleMessage(message: ChatMessage): void {
    if (this.seen !== undefined && message.seq <= this.seen) return;
    this.seen = message.seq;
    this.keep(message);
    this.emit("message", message);
  }

  private handlePresence(
    action: "snapshot" | "join" | "leave" | "nick",
    fields: { members?: string[]; nick?: string; from?: string; picture?: string; pictures?: Record<string, string> },
  ): void {
    const { nick, from } = fields;
    const pictures = fields.pictures ?? (nick && fields.picture ? { [nick]: fields.picture } : undefined);
    if (action === "snapshot") this.memberList = [...(fields.members ?? [])];
    else if (action === "join" && nick && !this.memberList.includes(nick)) this.memberList = [...this.memberList, nick];
    else if (action === "leave") this.memberList = this.memberList.filter((m) => m !== nick);
    else if (action === "nick" && nick) this.memberList = this.memberList.map((m) => (m === from ? nick : m));
    const change = {
      room: this.name,
      action,
      members: this.memberList,
      ...(nick ? { nick } : {}),
      ...(pictures ? { pictures } : {}),
    };
    this.emit("presence", from ? { ...change, from } : change);
  }

  /**
   * @internal Messages (not edits, deletes or reactions) after `seq`, when it holds all of them: it keeps
   * every message from its lowest kept seq up (older ones are dropped first); else undefined.
   */
  messagesAfter(seq: number): number | undefined {
    if (this.roomState !== "joined") return undefined;
    let lowest = Number.POSITIVE_INFINITY;
    let count = 0;
    for (const kept of this.kept.keys()) {
      if (kept < lowest) lowest = kept;
      if (kept > seq) count++;
    }
    return lowest <= seq + 1 ? count : undefined;
  }

  /** @internal Someone else in the room is typing. */
  handleTyping(nick: string): void {
    this.emit("typing", { room: this.name, nick });
  }

  /** @internal */
  handleError(error: ParleyServerError): void {
    // `busy` answers a `history` request (too many waiting): that request's promise fails.
    if (error.code === "busy") this.olderWaiters.shift()?.reject(error);
    this.emit("error", error);
  }

  /** @internal */
  handleLeft(): void {
    const wasLeft = this.roomState === "left";
    this.roomState = "left";
    this.failOlder(new Error(`Left ${this.name}.`));
    if (!wasLeft) this.emit("left", { room: this.name });
  }

  private noteOldest(messages: ChatMessage[]): void {
    const first = messages[0]?.seq;
    if (first !== undefined && (this.oldest === undefined || first < this.oldest)) this.oldest = first;
  }

  private failOlder(error: Error): void {
    for (const waiter of this.olderWaiters.splice(0)) waiter.reject(error);
  }
}
