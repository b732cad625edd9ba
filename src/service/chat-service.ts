import type { Broker, RoomEvent } from "../broker/broker.ts";
import { isParleyError, ParleyError } from "../chat/errors.ts";
import { Hub, type PresenceEvent } from "../chat/hub.ts";
import type { ChatMessage } from "../chat/message.ts";
import { validateRoomName } from "../chat/room-name.ts";
import { encodeEvent, encodeMessage, type ServerEvent, SUBPROTOCOL_JSON } from "../protocol/json.ts";
import { textError, textLeft, textMessage, textRenamed, textWho } from "../protocol/text.ts";
import type { HistoryStore } from "../store/history-store.ts";
import type { Connection } from "../transport/connection.ts";
import { Fanout, type Outlet } from "../transport/fanout.ts";
import { catchUp } from "./catch-up.ts";
import type { RoomSub, Session } from "./session.ts";

export interface ChatServiceOptions {
  store: HistoryStore;
  broker: Broker;
  random: () => number;
  now: () => number;
  historyLimit: number;
  maxHistoryLimit: number;
  maxRoomsPerMember: number;
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
  private readonly catchingUp = new Map<string, Set<RoomSub>>();

  constructor(private readonly options: ChatServiceOptions) {
    this.hub = new Hub({ random: options.random, maxRoomsPerMember: options.maxRoomsPerMember });
    this.fanout = new Fanout((room, visit) => this.visitLive(room, visit));
    options.broker.onEvent((room, event) => this.deliver(room, event));
  }

  get connectionCount(): number {
    return this.sessions.size;
  }

  open(conn: Connection): Session {
    const session = { conn, subs: new Map() } as unknown as Session;
    session.member = this.hub.add(conn.info.mode, session);
    this.sessions.set(conn, session);
    if (conn.info.mode === "json") {
      this.reply(session, {
        type: "welcome",
        protocol: SUBPROTOCOL_JSON,
        nick: session.member.nick,
        rooms: [conn.info.room],
      });
    }
    void this.join(session, conn.info.room, conn.info.since, undefined);
    return session;
  }

  /** The connection is gone (any reason): remove the member first, then announce the leaves. */
  close(conn: Connection): void {
    const session = this.sessions.get(conn);
    if (!session) return;
    this.sessions.delete(conn);
    for (const [room, sub] of session.subs) this.catchingUp.get(room)?.delete(sub);
    session.subs.clear();
    const rooms = [...session.member.rooms];
    this.announce(this.hub.remove(session.member));
    for (const room of rooms) this.unsubscribeIfEmpty(room);
  }

  say(session: Session, room: string, text: string, cid: string | undefined): void {
    if (!session.member.rooms.has(room)) {
      this.fail(session, new ParleyError("not_in_room", `You are not in ${room}; join it first.`), { cid, room });
      return;
    }
    const { store, broker, now } = this.options;
    store.append({ room, nick: session.member.nick, text, ts: now(), cid }).then(
      ({ message, duplicate }) => {
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
        if (!duplicate) void broker.publish(room, { type: "message", message });
      },
      () => {
        const error = new ParleyError("store_unavailable", "The message was not saved; send it again.");
        this.fail(session, error, { cid, room });
      },
    );
  }

  rename(session: Session, nick: string): void {
    try {
      const events = this.hub.rename(session.member, nick);
      if (session.member.mode === "json") this.reply(session, { type: "nick", nick: session.member.nick });
      this.announce(events);
    } catch (error) {
      this.fail(session, error, {});
    }
  }

  async join(session: Session, rawRoom: string, since: number | undefined, limit: number | undefined): Promise<void> {
    let room: string;
    const sub: RoomSub = { live: false, backlog: [] };
    try {
      room = validateRoomName(rawRoom);
      const event = this.hub.join(session.member, room);
      session.subs.set(room, sub);
      this.trackCatchUp(room, sub);
      this.announce([event]);
      await this.options.broker.subscribe(room);
    } catch (error) {
      this.fail(session, error, { room: rawRoom });
      return;
    }
    if (session.member.mode === "text") {
      // No history is pushed at a Cookbook client; only what arrived while subscribing.
      this.fanout.flush();
      for (const message of sub.backlog) session.conn.send(textMessage(message.nick, message.text));
      this.goLive(room, sub);
      return;
    }
    const pageLimit = Math.min(Math.max(limit ?? this.options.historyLimit, 0), this.options.maxHistoryLimit);
    try {
      const result = await catchUp(this.options.store, room, since, pageLimit, (messages) => {
        if (session.subs.get(room) === sub) this.reply(session, { type: "history", room, messages });
      });
      if (session.subs.get(room) !== sub) return; // left or closed meanwhile
      this.fanout.flush(); // what is already batched for the room goes out before this member joins the stream
      let lastSeq = result.lastSeq;
      this.reply(session, { type: "presence", room, action: "snapshot", members: this.hub.nicksIn(room) });
      this.reply(session, { type: "joined", room, lastSeq, resume: result.resume });
      for (const message of sub.backlog) {
        if (message.seq > lastSeq) {
          session.conn.send(encodeMessage(message));
          lastSeq = message.seq;
        }
      }
      this.goLive(room, sub);
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
      if (sub) this.catchingUp.get(room)?.delete(sub);
      if (confirm) this.reply(session, { type: "left", room });
      this.announce([event]);
      this.unsubscribeIfEmpty(room);
    } catch (error) {
      this.fail(session, error, { room });
    }
  }

  who(session: Session, room: string): void {
    const members = this.hub.nicksIn(room);
    if (session.member.mode === "text") session.conn.send(textWho(room, members));
    else this.reply(session, { type: "presence", room, action: "snapshot", members });
  }

  async history(session: Session, room: string, before: number, limit: number | undefined): Promise<void> {
    if (!session.member.rooms.has(room)) {
      this.fail(session, new ParleyError("not_in_room", `You are not in ${room}.`), { room });
      return;
    }
    const count = Math.min(Math.max(limit ?? this.options.historyLimit, 0), this.options.maxHistoryLimit);
    try {
      const messages = await this.options.store.before(room, before, count);
      this.reply(session, { type: "history", room, messages });
    } catch {
      this.fail(session, new ParleyError("store_unavailable", `History of ${room} could not be read.`), { room });
    }
  }

  /** Sends `error` to a JSON client, or a ` .... error:` line to a text client. */
  fail(session: Session, error: unknown, context: { cid?: string | undefined; room?: string }): void {
    const parley = isParleyError(error) ? error : new ParleyError("internal", "Something went wrong.");
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

  private reply(session: Session, event: ServerEvent): void {
    session.conn.send(encodeEvent(event));
  }

  private announce(events: PresenceEvent[]): void {
    for (const presence of events) void this.options.broker.publish(presence.room, { type: "presence", presence });
  }

  /** Everything the broker brings for a room, from this node or another. */
  private deliver(room: string, event: RoomEvent): void {
    if (event.type === "message") {
      this.deliverMessage(event.message);
    } else if (event.type === "presence") {
      const p = event.presence;
      const text = p.action === "leave" ? textLeft(p.nick) : p.action === "nick" ? textRenamed(p.from, p.nick) : null;
      this.fanout.toRoom(room, text, encodeEvent({ type: "presence", ...p }), true);
    } else {
      this.fanout.toRoom(room, null, encodeEvent({ type: "delete", room, seq: event.seq }));
    }
  }

  private deliverMessage(message: ChatMessage): void {
    const waiting = this.catchingUp.get(message.room);
    if (waiting) for (const sub of waiting) sub.backlog.push(message);
    this.fanout.toRoom(message.room, textMessage(message.nick, message.text), encodeMessage(message));
  }

  private visitLive(room: string, visit: (outlet: Outlet, mode: "text" | "json") => void): void {
    for (const member of this.hub.membersOf(room)) {
      const session = member.conn;
      if (session.subs.get(room)?.live) visit(session.conn, member.mode);
    }
  }

  private trackCatchUp(room: string, sub: RoomSub): void {
    let set = this.catchingUp.get(room);
    if (!set) {
      set = new Set();
      this.catchingUp.set(room, set);
    }
    set.add(sub);
  }

  private goLive(room: string, sub: RoomSub): void {
    sub.live = true;
    sub.backlog = [];
    const set = this.catchingUp.get(room);
    set?.delete(sub);
    if (set?.size === 0) this.catchingUp.delete(room);
  }

  private unsubscribeIfEmpty(room: string): void {
    if (this.hub.membersOf(room).size === 0) void this.options.broker.unsubscribe(room);
  }
}
