import type { Broker, RoomEvent } from "../broker/broker.ts";
import { type ErrorCode, isParleyError, ParleyError } from "../chat/errors.ts";
import { Hub, type PresenceEvent } from "../chat/hub.ts";
import type { ChatMessage } from "../chat/message.ts";
import { validateNick } from "../chat/nick.ts";
import { validateRoomName } from "../chat/room-name.ts";
import { SmallMap } from "../chat/small-collections.ts";
import { MemoryPresence } from "../presence/memory.ts";
import type { Presence } from "../presence/presence.ts";
import { CLOSE } from "../protocol/close-codes.ts";
import { encodeEvent, encodeMessage, type ServerEvent } from "../protocol/json.ts";
import { textError, textLeft, textMessage, textRenamed, textWho } from "../protocol/text.ts";
import type { AppendResult, HistoryStore } from "../store/history-store.ts";
import { type Connection, READ_HOLD } from "../transport/connection.ts";
import { Fanout, type Outlet } from "../transport/fanout.ts";
import { Accounts, type AccountsOptions } from "./accounts.ts";
import { bridgeGap, catchUp } from "./catch-up.ts";
import { CatchingUp } from "./catching-up.ts";
import { deferFrame, heldFull, holdFrames, releaseFrames } from "./held-frames.ts";
import { answerHistory } from "./history-request.ts";
import { Membership } from "./membership.ts";
import { inReadLane, sendPaged } from "./paced.ts";
import { reclaimName, replaceConnection } from "./reclaim.ts";
import { newReconnectKey, reconnectKeyHash } from "./reconnect-key.ts";
import { RoomOrder } from "./room-order.ts";
import { subscribeOrRefuse } from "./room-subscription.ts";
import { type RoomWatcher, RoomWatchers } from "./room-watchers.ts";
import type { RoomSub, Session } from "./session.ts";

export interface ChatServiceOptions {
  store: HistoryStore;
  broker: Broker;
  random: () => number;
  now: () => number;
  historyLimit: number;
  maxHistoryLimit: number;
  maxRoomsPerMember: number;
  /** true: the nickname is banned, and taking it is refused. */
  nickBanned?: (nick: string) => boolean;
  /** Told how each rename ended: `changed`, `reclaimed`, or the refusal's error code (for metrics). */
  nickRequested?: (result: string) => void;
  /** Told of each refusal sent to a client (an `error` event or a text ` .... error:` line), for metrics. */
  refused?: (code: ErrorCode) => void;
  /** Told of each `history` request refused because too many were waiting (for metrics). */
  busy?: () => void;
  /** Told of each resume from `since`: complete, or with part of the gap lost (for metrics). */
  resumed?: (complete: boolean) => void;
  /** Who is where across nodes; this node alone when not given. */
  presence?: Presence;
  /** This node's id in the cluster (owners of nicknames are `node:member`). */
  nodeId?: string;
  /** How long a gap in a room's seq may stay open before it is read from the store. */
  gapWaitMs?: number;
  /** Signed-in users, private rooms, typing, read positions. */
  accounts: AccountsOptions;
  /** Told of work that failed with no client request to answer (`what`: a fixed label), to log it. */
  report?: (what: string, error: unknown) => void;
}

/**
 * The running chat: turns what clients say into stored, ordered, fanned-out events.
 * The domain decides (hub), the store orders and keeps, the broker spreads, the fan-out writes.
 */
export class ChatService {
  readonly hub: Hub<Session>;
  readonly fanout: Fanout;
  private readonly sessions = new Map<Connection, Session>();
  /** Per room, the subs still catching up: live messages are kept for them aside. */
  private readonly catchingUp = new CatchingUp();
  /** Puts messages from other nodes in seq order and fills gaps from the store. */
  readonly order: RoomOrder;
  readonly members: Membership<Session>;
  /** Signed-in users: tokens, names, private rooms, typing, read positions. */
  readonly accounts: Accounts;
  /** Event streams of the HTTP API, which hear a room's events without being its members. */
  private readonly watchers = new RoomWatchers();

  constructor(readonly options: ChatServiceOptions) {
    this.hub = new Hub({ random: options.random, maxRoomsPerMember: options.maxRoomsPerMember });
    this.fanout = new Fanout((room, visit) => this.visitLive(room, visit));
    this.members = new Membership(
      options.presence ?? new MemoryPresence(),
      options.nodeId ?? "local",
      this.hub,
      (member) => member.conn.keyHash,
      (w, p) => this.background(w, p),
    );
    this.accounts = new Accounts(this, options.accounts);
    this.order = new RoomOrder({
      store: options.store,
      ordered: options.broker.ordered,
      gapWaitMs: options.gapWaitMs ?? 150,
      emit: (message) => this.deliverMessage(message),
    });
    options.broker.onEvent((room, event) => this.deliver(room, event));
    options.broker.onResync(() => this.order.resync());
    this.members.wire(
      () => [...this.sessions.values()].map((s) => s.member),
      (events) => this.announce(events),
    );
  }

  get connectionCount(): number {
    return this.sessions.size;
  }

  open(conn: Connection): Session {
    const session = { conn, subs: new SmallMap(), inbox: [] } as unknown as Session;
    session.member = this.accounts.addMember(session);
    if (conn.info.mode === "json" && !session.identity) {
      session.reconnectKey = newReconnectKey();
      session.keyHash = reconnectKeyHash(session.reconnectKey);
    }
    this.sessions.set(conn, session);
    this.start(session).catch((error: unknown) => {
      this.options.report?.("session_start", error);
      // The client is told, and may come back: nothing of it was half set up for long.
      if (this.isOpen(session)) conn.close(CLOSE.tryAgainLater, "the server could not set up your session: reconnect");
    });
    return session;
  }

  /** Runs `work` without waiting for it; a failure is reported (logged), never an unhandled rejection. */
  background(what: string, work: Promise<unknown>): void {
    work.catch((error: unknown) => this.options.report?.(what, error));
  }

  /** Queues `work` while the session's frames are held (see held-frames.ts); true when it was queued. */
  defer(session: Session, work: () => void): boolean {
    const outcome = deferFrame(session, work);
    // Paced, not refused: past the bound the socket is not read until the frames are released.
    if (outcome === "full") session.conn.holdReading(READ_HOLD.service);
    return outcome !== "run now";
  }

  /** Runs the held frames; reading resumes unless one of them held the session again with a full inbox. */
  private release(session: Session): void {
    releaseFrames(session, this.sessions.has(session.conn));
    if (!heldFull(session)) session.conn.releaseReading(READ_HOLD.service);
  }

  /** The member's random nickname is taken across the cluster (another if it is held), then the welcome. */
  private async start(session: Session): Promise<void> {
    const { conn } = session;
    await this.accounts.claimName(session);
    if (conn.info.mode === "json" && this.sessions.has(conn)) await this.accounts.welcome(session);
    if (!this.sessions.has(conn)) {
      this.background("presence_gone", this.members.gone(session.member, []));
      return;
    }
    const joined = conn.info.autoJoin
      ? this.join(session, conn.info.room, conn.info.since, undefined)
      : Promise.resolve();
    this.release(session);
    await joined;
  }

  /**
   * The connection is gone (any reason): remove the member first, then announce the leaves. `replaced`:
   * its client took its name to a new connection (reclaim.ts), so the person is still here: no leave.
   */
  close(conn: Connection, replaced = false): void {
    const session = this.sessions.get(conn);
    if (!session) return;
    this.sessions.delete(conn);
    for (const [room, sub] of session.subs) this.catchingUp.forget(room, sub);
    session.subs.clear();
    const rooms = [...session.member.rooms];
    const leaves = this.hub.remove(session.member);
    // replaced: only its entries go; the name is no longer its own
    if (replaced) this.background("presence_gone", this.members.gone(session.member, rooms));
    else this.members.removed(session.member, leaves);
    for (const room of rooms) this.unsubscribeIfEmpty(room);
    this.accounts.closed(session);
  }

  /** Shutting down: every member leaves now, so other nodes hear of it before the engines close. */
  closeAll(): void {
    for (const conn of [...this.sessions.keys()]) this.close(conn);
  }

  say(session: Session, room: string, text: string, cid: string | undefined): void {
    if (!session.member.rooms.has(room)) {
      this.fail(session, new ParleyError("not_in_room", `You are not in ${room}; join it first.`), { cid, room });
      return;
    }
    const { store, broker, now } = this.options;
    store.append({ room, nick: session.member.nick, text, ts: now(), cid }).then(
      ({ message, duplicate, conflict }) => {
        if (conflict) {
          const reused = `This cid was used in ${room} for another message (seq ${message.seq}); a new message needs a new cid.`;
          this.fail(session, new ParleyError("cid_conflict", reused), { cid, room });
          return;
        }
        if (session.member.mode === "json") {
          this.reply(session, {
            type: "ack",
            cid: cid ?? null,
            room,
            seq: message.seq,
            id: message.id,
            ts: message.ts,
            duplicate,
          });
        }
        if (!duplicate) this.background("publish", broker.publish(room, { type: "message", message }));
      },
      () => {
        const error = new ParleyError("store_unavailable", "The message was not saved; send it again.");
        this.fail(session, error, { cid, room });
      },
    );
  }

  /**
   * A message from outside the chat (the HTTP API): stored, then spread like `say`'s, as `nick`.
   * A repeated `cid` answers the stored message (`duplicate`); a reused one throws `cid_conflict`.
   */
  async publishAs(room: string, nick: string, text: string, cid: string | undefined): Promise<AppendResult> {
    const { store, broker, now } = this.options;
    let result: AppendResult;
    try {
      result = await store.append({ room, nick, text, ts: now(), cid });
    } catch {
      throw new ParleyError("store_unavailable", "The message was not saved; send it again.");
    }
    if (result.conflict) {
      const seq = result.message.seq;
      throw new ParleyError(
        "cid_conflict",
        `This idempotency key was used in ${room} for another message (seq ${seq}).`,
      );
    }
    if (!result.duplicate)
      this.background("publish", broker.publish(room, { type: "message", message: result.message }));
    return result;
  }

  /** Hears `room`'s events (subscribed through the broker) until the returned function is called. */
  async watchRoom(room: string, watcher: RoomWatcher): Promise<() => void> {
    const remove = this.watchers.add(room, watcher);
    const stop = () => {
      if (remove()) this.unsubscribeIfEmpty(room);
    };
    try {
      await this.options.broker.subscribe(room);
    } catch (error) {
      stop();
      throw error;
    }
    return stop;
  }

  /**
   * Takes the nickname across the cluster first, then here; announces it in every room of the member.
   * With the `reconnectKey` of the client's previous connection, a name that connection still holds is taken back.
   */
  async rename(session: Session, requested: string, reconnectKey?: string): Promise<void> {
    const from = session.member.nick;
    holdFrames(session);
    try {
      const nick = validateNick(requested); // as it will be shown: NFKC
      if (this.options.nickBanned?.(nick)) throw new ParleyError("forbidden", `The nickname ${nick} is banned here.`);
      await this.accounts.checkRename(session, nick);
      const reclaimed = reconnectKey !== undefined && (await reclaimName(this, session, nick, reconnectKey));
      if (!reclaimed) await this.members.claimRename(session.member, nick);
      if (!this.sessions.has(session.conn)) {
        this.background("presence_gone", this.members.gone(session.member, [], nick));
        return;
      }
      const events = this.hub.rename(session.member, nick);
      this.options.nickRequested?.(reclaimed ? "reclaimed" : "changed");
      if (session.member.mode === "json") this.reply(session, { type: "nick", nick: session.member.nick });
      await this.members.renamed(session.member, from);
      this.announce(events);
    } catch (error) {
      this.options.nickRequested?.(isParleyError(error) ? error.code : "internal");
      this.fail(session, error, {});
    } finally {
      this.release(session);
    }
  }

  async join(session: Session, rawRoom: string, since: number | undefined, limit: number | undefined): Promise<void> {
    let room: string;
    const sub: RoomSub = { live: false, backlog: [] };
    try {
      room = validateRoomName(rawRoom);
      this.accounts.checkEnter(session, room);
      const event = this.hub.join(session.member, room);
      session.subs.set(room, sub);
      this.catchingUp.track(room, sub);
      const quiet = session.quietRooms?.delete(room) === true; // back after a reconnect: never seen to leave
      if ((await this.members.joined(session.member, room)) && !quiet) this.announce([event]);
    } catch (error) {
      this.fail(session, error, { room: rawRoom });
      return;
    }
    if (!(await subscribeOrRefuse(this, session, room))) return;
    if (session.member.mode === "text") {
      // No history is pushed at a Cookbook client; only what arrived while subscribing.
      try {
        await this.order.ensureStarted(room);
      } catch {
        // the store is away: live messages of this room reach this node once it is back
      }
      if (session.subs.get(room) !== sub) return;
      this.fanout.flush();
      for (const message of sub.backlog) session.conn.send(textMessage(message.nick, message.text));
      this.catchingUp.goLive(room, sub);
      return;
    }
    await inReadLane(session, () => this.catchUpOn(session, room, sub, since, limit));
  }

  /** A JSON member's catch-up on a room it joined: history (paced), then the live stream. */
  private async catchUpOn(
    session: Session,
    room: string,
    sub: RoomSub,
    since: number | undefined,
    limit: number | undefined,
  ): Promise<void> {
    if (session.subs.get(room) !== sub) return; // left or closed while waiting its turn
    const pageLimit = Math.min(Math.max(limit ?? this.options.historyLimit, 0), this.options.maxHistoryLimit);
    const { store } = this.options;
    try {
      const result = await catchUp(store, room, since, pageLimit, (range) =>
        sendPaged(session.conn, store, room, range, () => session.subs.get(room) === sub),
      );
      if (session.subs.get(room) !== sub) return; // left or closed meanwhile
      // Messages up to lastSeq may still be on their way from other nodes: wait until this node
      // has handed them on, so none reaches this member twice or after a later one.
      await this.order.settle(room, result.lastSeq);
      const bridged = await bridgeGap(this.options.store, this.order.position(room), room, sub, result.lastSeq);
      if (bridged.length > 0 && session.subs.get(room) === sub) {
        this.reply(session, { type: "history", room, messages: bridged });
      }
      let lastSeq = bridged.at(-1)?.seq ?? result.lastSeq;
      const members = await this.members.members(room);
      if (session.subs.get(room) !== sub) return;
      if (result.resume) this.options.resumed?.(result.resume.complete);
      this.fanout.flush(); // what is already batched for the room goes out before this member joins the stream
      if (result.resume) result.resume.missed += bridged.length;
      this.reply(session, { type: "presence", room, action: "snapshot", members });
      const joined = { type: "joined", room, lastSeq, resume: result.resume } as const;
      this.reply(session, this.accounts.reads.joined(session, joined, result.first));
      for (const message of sub.backlog) {
        if (message.seq > lastSeq) {
          session.conn.send(encodeMessage(message));
          lastSeq = message.seq;
        }
      }
      this.catchingUp.goLive(room, sub);
    } catch {
      if (session.subs.get(room) !== sub) return;
      this.fail(session, new ParleyError("store_unavailable", `History of ${room} could not be read.`), { room });
      this.leave(session, room, false);
    }
  }

  leave(session: Session, room: string, confirm = true): void {
    try {
      const event = this.hub.leave(session.member, room);
      const sub = session.subs.get(room);
      session.subs.delete(room);
      if (sub) this.catchingUp.forget(room, sub);
      if (confirm) this.reply(session, { type: "left", room });
      this.members.leftRoom(session.member, event);
      this.unsubscribeIfEmpty(room);
    } catch (error) {
      this.fail(session, error, { room });
    }
  }

  async who(session: Session, room: string): Promise<void> {
    if (!this.accounts.mayWatch(session, room)) return;
    const members = await this.members.members(room);
    if (session.member.mode === "text") session.conn.send(textWho(room, members));
    else this.reply(session, { type: "presence", room, action: "snapshot", members });
  }

  /** A `history` request: one page before `before`, paced, after the session's earlier reads (history-request.ts). */
  history(session: Session, room: string, before: number, limit: number | undefined): Promise<void> {
    return answerHistory(this, session, room, before, limit);
  }

  /** Sends `error` to a JSON client, or a ` .... error:` line to a text client. */
  fail(session: Session, error: unknown, context: { cid?: string | undefined; room?: string }): void {
    const parley = isParleyError(error) ? error : new ParleyError("internal", "Something went wrong.");
    this.options.refused?.(parley.code);
    if (session.member.mode === "text") {
      session.conn.send(textError(parley.message));
      return;
    }
    const event: ServerEvent = { type: "error", code: parley.code, message: parley.message };
    if (context.cid !== undefined) event.cid = context.cid;
    if (context.room !== undefined) event.room = context.room;
    this.reply(session, event);
  }

  sessionOf(conn: Connection): Session | undefined {
    return this.sessions.get(conn);
  }

  /** A signed-in user's connections on this node. */
  sessionsOf(user: string): Session[] {
    return [...this.hub.connectionsOf(user)].map((member) => member.conn);
  }

  isOpen(session: Session): boolean {
    return this.sessions.has(session.conn);
  }

  reply(session: Session, event: ServerEvent): void {
    session.conn.send(encodeEvent(event));
  }

  announce(events: PresenceEvent[]): void {
    for (const presence of events) {
      this.background("publish", this.options.broker.publish(presence.room, { type: "presence", presence }));
    }
  }

  /** Everything the broker brings for a room, from this node or another. */
  private deliver(room: string, event: RoomEvent): void {
    if (this.accounts.deliver(room, event)) return;
    this.watchers.notify(room, event);
    if (event.type === "message") {
      // late events of a room nobody here is in any more would start its order again
      if (this.hub.membersOf(room).size > 0) this.order.offer(event.message);
    } else if (event.type === "presence") {
      const p = event.presence;
      const text = p.action === "leave" ? textLeft(p.nick) : p.action === "nick" ? textRenamed(p.from, p.nick) : null;
      this.fanout.toRoom(room, text, () => encodeEvent({ type: "presence", ...p }), true);
    } else if (event.type === "reclaimed") {
      const old = [...this.sessions.values()].find((s) => this.members.owner(s.member) === event.owner);
      if (old) replaceConnection(this, old);
    } else if (event.type === "delete") {
      const seq = event.seq;
      this.fanout.toRoom(room, null, () => encodeEvent({ type: "delete", room, seq }));
    }
  }

  private deliverMessage(message: ChatMessage): void {
    this.catchingUp.keep(message);
    // Encoded at flush, and only for modes someone in the room speaks.
    this.fanout.toRoom(
      message.room,
      () => textMessage(message.nick, message.text),
      () => encodeMessage(message),
    );
  }

  private visitLive(room: string, visit: (outlet: Outlet, mode: "text" | "json") => void): void {
    for (const member of this.hub.membersOf(room)) {
      const session = member.conn;
      if (session.subs.get(room)?.live) visit(session.conn, member.mode);
    }
  }

  private unsubscribeIfEmpty(room: string): void {
    if (this.hub.membersOf(room).size > 0 || this.watchers.has(room)) return;
    this.order.drop(room);
    this.background("unsubscribe", this.options.broker.unsubscribe(room));
  }
}
