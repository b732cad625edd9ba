import type { Broker, RoomEvent } from "../broker/broker.ts";
import { ParleyError } from "../chat/errors.ts";
import { Hub, type Member, type PresenceEvent } from "../chat/hub.ts";
import type { ChangeRequest, FileRef } from "../chat/message.ts";
import { validateRoomName } from "../chat/room-name.ts";
import { MemoryPresence } from "../presence/memory.ts";
import { CLOSING } from "../protocol/close-codes.ts";
import { type SearchFrame, snapshotEvent } from "../protocol/json.ts";
import { textWho } from "../protocol/text.ts";
import type { AppendResult, HistoryStore } from "../store/history-store.ts";
import { type ClientLink, READ_HOLD, type RoomDelivery } from "../transport/client-link.ts";
import type { Outlet } from "../transport/fanout.ts";
import { appendFrom } from "./conversation/append.ts";
import { answerUploadTicket, sendWithFile } from "./conversation/attach.ts";
import { MentionRelay } from "./conversation/mentions.ts";
import { deferFrame, heldFull, releaseFrames } from "./held-frames.ts";
import { type CatchUpHost, catchUpJson, catchUpText } from "./history/join-catch-up.ts";
import { LiveBacklogs } from "./history/live-backlogs.ts";
import { answerHistory, type HistoryHost } from "./history/page-request.ts";
import { inReadLane } from "./history/read-lane.ts";
import { Membership } from "./membership.ts";
import { ReadPositionRelay } from "./read-positions.ts";
import { replaceConnection } from "./reclaim.ts";
import { newReconnectKey, reconnectKeyHash } from "./reconnect-key.ts";
import { renameSession } from "./rename.ts";
import { deliverMessage, deliverRoomEvent, type RoomEventsHost } from "./room-events.ts";
import { RoomOrder } from "./room-order.ts";
import { subscribeOrRefuse } from "./room-subscription.ts";
import { type RoomWatcher, RoomWatchers } from "./room-watchers.ts";
import { answerSearch, type SearchHost } from "./search-request.ts";
import type { ChatServiceOptions } from "./service-options.ts";
import { type RoomSub, Session } from "./session.ts";
import { TypingRelay } from "./typing-relay.ts";
import { UserAccess } from "./user-access.ts";

export type { ChatServiceOptions } from "./service-options.ts";

/**
 * The running chat: turns what clients say into stored, ordered, fanned-out events.
 * The domain decides (hub), the store orders and keeps, the broker spreads, the fan-out writes.
 */
export class ChatService {
  readonly hub: Hub<Session>;
  /** Delivers to rooms: the gateway's fan-out. */
  private readonly delivery: RoomDelivery;
  private readonly sessions = new Map<ClientLink, Session>();
  /** Per room, the subs still catching up: live messages are kept for them aside. */
  private readonly backlogs = new LiveBacklogs();
  /** Puts messages from other nodes in seq order and fills gaps from the store. */
  readonly order: RoomOrder;
  readonly members: Membership<Session>;
  /** Event streams of the HTTP API, which hear a room's events without being its members. */
  private readonly watchers = new RoomWatchers();
  /** Signed-in users: tokens, names, private rooms. */
  readonly userAccess: UserAccess;
  private readonly typingRelay: TypingRelay;
  private readonly reads: ReadPositionRelay;
  private readonly mentions: MentionRelay;
  private readonly historyHost: HistoryHost;
  private readonly catchUpHost: CatchUpHost;
  private readonly searchHost: SearchHost;

  readonly options: ChatServiceOptions;
  /**
   * The store's append and the broker's publish, read once: both are wrapped in Proxies (metrics,
   * file deletes), and a property read through a Proxy is a V8 runtime call, on every message.
   */
  readonly appendToStore: HistoryStore["append"];
  private readonly brokerPublish: Broker["publish"];

  constructor(options: ChatServiceOptions) {
    this.options = options;
    this.appendToStore = options.store.append.bind(options.store);
    this.brokerPublish = options.broker.publish.bind(options.broker);
    this.hub = new Hub({ random: options.random, maxRoomsPerMember: options.maxRoomsPerMember });
    this.delivery = options.delivery;
    this.members = new Membership(
      options.presence ?? new MemoryPresence(),
      options.nodeId ?? "local",
      this.hub,
      (member) => member.session.keyHash,
      (w, p) => this.background(w, p),
    );
    const { broker, store, userAccess } = options;
    this.typingRelay = new TypingRelay(this, userAccess.typingIntervalMs);
    const readsHost = {
      bounds: (room: string) => store.bounds(room),
      publish: (channel: string, event: RoomEvent) => this.publish(channel, event),
      sessionsOf: (user: string) => this.sessionsOf(user),
    };
    this.reads = new ReadPositionRelay(readsHost, userAccess.users, userAccess.access);
    const userAccessHost = {
      ...{ hub: this.hub, members: this.members, broker, random: options.random, now: options.now },
      report: (what: string, error: unknown) => this.report(what, error),
      background: (what: string, work: Promise<unknown>) => this.background(what, work),
      announce: (events: PresenceEvent[]) => this.announce(events),
      sessionsOf: (user: string) => this.sessionsOf(user),
      isOpen: (session: Session) => this.isOpen(session),
      leave: (session: Session, room: string, confirm?: boolean) => this.leave(session, room, confirm),
    };
    this.userAccess = new UserAccess(userAccessHost, userAccess, this.reads);
    this.mentions = new MentionRelay(readsHost, userAccess.users, userAccess.access, options.now);
    this.historyHost = { ...options, isOpen: (session) => this.isOpen(session) };
    this.searchHost = {
      search: options.search ?? noSearch,
      access: userAccess.access,
      isOpen: (session) => this.isOpen(session),
    };
    this.order = new RoomOrder({
      store: options.store,
      ordered: options.broker.ordered,
      gapWaitMs: options.gapWaitMs ?? 150,
      emit: (message) => deliverMessage(this.backlogs, this.delivery, message),
    });
    this.catchUpHost = {
      ...{ store, historyLimit: options.historyLimit, maxHistoryLimit: options.maxHistoryLimit, order: this.order },
      resumed: options.resumed,
      snapshot: (room) => this.members.members(room),
      pictures: (room) => this.pictures(room),
      flush: () => this.delivery.flush(),
      goLive: (room, sub) => this.backlogs.goLive(room, sub),
      joinedEvent: (session, event, first) => this.reads.joined(session, event, first),
      leave: (session, room, confirm) => this.leave(session, room, confirm),
    };
    const roomEventsHost: RoomEventsHost = {
      ...{ watchers: this.watchers, hub: this.hub, order: this.order, delivery: this.delivery },
      ...{ backlogs: this.backlogs, typingRelay: this.typingRelay, reads: this.reads, userAccess: this.userAccess },
      mentions: this.mentions,
      replaceOwner: (owner) => {
        const old = [...this.sessions.values()].find((s) => this.members.owner(s.member) === owner);
        if (old) replaceConnection(this, old);
      },
    };
    options.broker.onEvent((room, event) => deliverRoomEvent(roomEventsHost, room, event));
    options.broker.onResync(() => this.order.resync());
    this.members.wire(
      () => [...this.sessions.values()].map((s) => s.member),
      (events) => this.announce(events),
    );
  }

  get connectionCount(): number {
    return this.sessions.size;
  }

  open(link: ClientLink): Session {
    const session = new Session(link, (s) => this.userAccess.addMember(s), this.options.refused);
    if (link.info.mode === "json" && !session.identity) {
      session.reconnectKey = newReconnectKey();
      session.keyHash = reconnectKeyHash(session.reconnectKey);
    }
    this.sessions.set(link, session);
    this.start(session).catch((error: unknown) => {
      this.report("session_start", error);
      // The client is told, and may come back: nothing of it was half set up for long.
      if (this.isOpen(session)) link.close(CLOSING.sessionFailed);
    });
    return session;
  }

  /** Runs `work` without waiting for it; a failure is reported (logged), never an unhandled rejection. */
  background(what: string, work: Promise<unknown>): void {
    work.catch((error: unknown) => this.report(what, error));
  }

  /** Logs work that failed with no client request to answer (`what`: a fixed label). */
  report(what: string, error: unknown): void {
    this.options.report?.(what, error);
  }

  /** Publishes on the broker without waiting; a failure is reported under `what`. */
  publish(channel: string, event: RoomEvent, what = "publish"): void {
    this.background(what, this.brokerPublish(channel, event));
  }

  /** Subscribes this node to a room's events on the broker. */
  subscribe(room: string): Promise<void> {
    return this.options.broker.subscribe(room);
  }

  now(): number {
    return this.options.now();
  }

  /** The room's members on this node. */
  membersOf(room: string): ReadonlySet<Member<Session>> {
    return this.hub.membersOf(room);
  }

  /** Queues `work` while the session's frames are held (see held-frames.ts); true when it was queued. */
  defer(session: Session, work: () => void): boolean {
    const outcome = deferFrame(session, work);
    // Paced, not refused: past the bound the socket is not read until the frames are released.
    if (outcome === "full") session.link.holdReading(READ_HOLD.service);
    return outcome !== "run now";
  }

  /** Runs the held frames; reading resumes unless one of them held the session again with a full inbox. */
  release(session: Session): void {
    releaseFrames(session, this.sessions.has(session.link));
    if (!heldFull(session)) session.link.releaseReading(READ_HOLD.service);
  }

  /** The member's random nickname is taken across the cluster (another if it is held), then the welcome. */
  private async start(session: Session): Promise<void> {
    const { link } = session;
    await this.userAccess.claimName(session);
    if (link.info.mode === "json" && this.isOpen(session)) await this.userAccess.welcome(session);
    if (!this.isOpen(session)) {
      this.background("presence_gone", this.members.gone(session.member, []));
      return;
    }
    const joined = link.info.autoJoin
      ? this.join(session, link.info.room, link.info.since, undefined)
      : Promise.resolve();
    this.release(session);
    await joined;
  }

  /**
   * The connection is gone (any reason): remove the member first, then announce the leaves. `replaced`:
   * its client took its name to a new connection (reclaim.ts), so the person is still here: no leave.
   */
  close(link: ClientLink, replaced = false): void {
    const session = this.sessions.get(link);
    if (!session) return;
    this.sessions.delete(link);
    for (const [room, sub] of session.subs) this.backlogs.forget(room, sub);
    session.subs.clear();
    const rooms = [...session.member.rooms];
    const leaves = this.hub.remove(session.member);
    // replaced: only its entries go; the name is no longer its own
    if (replaced) this.background("presence_gone", this.members.gone(session.member, rooms));
    else this.members.removed(session.member, leaves);
    for (const room of rooms) this.unsubscribeIfEmpty(room);
    this.userAccess.closed(session);
  }

  /** Shutting down: every member leaves now, so other nodes hear of it before the engines close. */
  closeAll(): void {
    for (const link of [...this.sessions.keys()]) this.close(link);
  }

  /** `send` (a reply names its parent's seq): stored, acked, published (conversation/append.ts); then its mentions. */
  say(session: Session, room: string, text: string, cid: string | undefined, replyTo?: number, file?: string): void {
    const sent =
      file === undefined
        ? appendFrom(this, session, { room, text, cid, replyTo })
        : sendWithFile(this, this.options.files, session, { room, text, cid, replyTo }, file);
    this.background(
      "say",
      sent.then((result) => result && this.mentions.mentioned(session, result.message)),
    );
  }

  /** `upload_ticket`: a ticket to upload a file into the room over HTTP (conversation/attach.ts). */
  uploadTicket(session: Session, room: string, cid: string): Promise<void> {
    return answerUploadTicket(this.options.files, session, room, cid);
  }

  /** `edit`, `delete`, `react`: change events in the room's order (conversation/append.ts). */
  change(session: Session, room: string, change: ChangeRequest, cid: string | undefined): void {
    this.background("change", appendFrom(this, session, { room, text: "", cid, change }));
  }

  /**
   * A message from outside the chat (the HTTP API): stored, then spread like `say`'s, as `nick`.
   * A repeated `cid` answers the stored message (`duplicate`); a reused one throws `cid_conflict`.
   */
  async publishAs(
    room: string,
    nick: string,
    text: string,
    cid: string | undefined,
    file?: FileRef,
  ): Promise<AppendResult> {
    const { store, broker, now } = this.options;
    let result: AppendResult;
    try {
      result = await store.append({ room, nick, text, ts: now(), cid, file });
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

  /** `nick`: the name is taken across the cluster, then here, and announced (rename.ts). */
  rename(session: Session, requested: string, reconnectKey?: string): Promise<void> {
    return renameSession(this, session, requested, reconnectKey);
  }

  async join(session: Session, rawRoom: string, since: number | undefined, limit: number | undefined): Promise<void> {
    let room: string;
    const sub: RoomSub = { live: false, backlog: [] };
    try {
      room = validateRoomName(rawRoom);
      this.userAccess.checkEnter(session, room);
      const joinedAs = this.hub.join(session.member, room);
      const picture = session.identity?.picture;
      const event = picture === undefined ? joinedAs : { ...joinedAs, picture };
      this.userAccess.keepJoined(session, room, true);
      session.subs.set(room, sub);
      this.backlogs.track(room, sub);
      const quiet = session.quietRooms?.delete(room) === true; // back after a reconnect: never seen to leave
      if ((await this.members.joined(session.member, room)) && !quiet) this.announce([event]);
    } catch (error) {
      session.fail(error, { room: rawRoom });
      return;
    }
    if (!(await subscribeOrRefuse(this, session, room))) return;
    if (session.member.mode === "text") await catchUpText(this.catchUpHost, session, room, sub);
    else await inReadLane(session, () => catchUpJson(this.catchUpHost, session, room, sub, since, limit));
  }

  leave(session: Session, room: string, confirm = true): void {
    try {
      const event = this.hub.leave(session.member, room);
      const sub = session.subs.get(room);
      session.subs.delete(room);
      if (sub) this.backlogs.forget(room, sub);
      if (confirm) {
        session.reply({ type: "left", room });
        this.userAccess.keepJoined(session, room, false);
      }
      this.members.leftRoom(session.member, event);
      this.unsubscribeIfEmpty(room);
    } catch (error) {
      session.fail(error, { room });
    }
  }

  async who(session: Session, room: string): Promise<void> {
    if (!this.userAccess.mayWatch(session, room)) return;
    const members = await this.members.members(room);
    if (session.member.mode === "text") session.link.send(textWho(room, members));
    else session.reply(snapshotEvent(room, members, this.pictures(room)));
  }

  /** The pictures of the signed-in members of `room` connected to this node (others show initials until they join). */
  private pictures(room: string): Record<string, string> {
    const pictures: Record<string, string> = {};
    for (const member of this.hub.membersOf(room)) {
      const picture = member.session.identity?.picture;
      if (picture !== undefined) pictures[member.nick] = picture;
    }
    return pictures;
  }

  /** A `history` request: one page before `before`, paced, after the session's earlier reads (history/page-request.ts). */
  history(session: Session, room: string, before: number, limit: number | undefined): Promise<void> {
    return answerHistory(this.historyHost, session, room, before, limit);
  }

  /** `search`: full-text search in the rooms the connection may read (search-request.ts). */
  search(session: Session, frame: SearchFrame): Promise<void> {
    return answerSearch(this.searchHost, session, frame);
  }

  /** `typing`: relayed to the room's other JSON members (typing-relay.ts). */
  typing(session: Session, room: string): void {
    this.typingRelay.typing(session, room);
  }

  /** `read`: the signed-in user's read position moves (read-positions.ts). */
  markRead(session: Session, room: string, seq: number): Promise<void> {
    return this.reads.read(session, room, seq);
  }

  /** `auth`: a fresh token extends the connection (user-access.ts). */
  refresh(session: Session, token: string): Promise<void> {
    return this.userAccess.refresh(session, token);
  }

  sessionOf(link: ClientLink): Session | undefined {
    return this.sessions.get(link);
  }

  /** A signed-in user's connections on this node. */
  sessionsOf(user: string): Session[] {
    return [...this.hub.connectionsOf(user)].map((member) => member.session);
  }

  isOpen(session: Session): boolean {
    return this.sessions.has(session.link);
  }

  announce(events: PresenceEvent[]): void {
    for (const presence of events) {
      this.publish(presence.room, { type: "presence", presence });
    }
  }

  /** Every link that should get the room's live stream now (the gateway's fan-out asks). */
  recipients(room: string, visit: (outlet: Outlet, mode: "text" | "json") => void): void {
    for (const member of this.hub.membersOf(room)) {
      const session = member.session;
      if (session.subs.get(room)?.live) visit(session.link, member.mode);
    }
  }

  private unsubscribeIfEmpty(room: string): void {
    if (this.hub.membersOf(room).size > 0 || this.watchers.has(room)) return;
    this.order.drop(room);
    this.background("unsubscribe", this.options.broker.unsubscribe(room));
  }
}

const noSearch = {
  search: () => Promise.reject(new Error("no search index")),
  close: () => Promise.resolve(),
};
