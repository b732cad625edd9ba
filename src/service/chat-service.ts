import type { Broker, RoomEvent } from "../broker/broker.ts";
import { Hub, type Member, type PresenceEvent } from "../chat/hub.ts";
import type { ChangeRequest, FileRef } from "../chat/message.ts";
import { MemoryPresence } from "../presence/memory.ts";
import type { SearchFrame } from "../protocol/json.ts";
import type { AppendResult, HistoryStore } from "../store/history-store.ts";
import { type ClientLink, READ_HOLD, type RoomDelivery } from "../transport/client-link.ts";
import type { Outlet } from "../transport/fanout.ts";
import { publishAs, watchRoom } from "./api-entry.ts";
import { appendFrom } from "./conversation/append.ts";
import { answerUploadTicket, sendWithFile } from "./conversation/attach.ts";
import { MentionRelay } from "./conversation/mentions.ts";
import { deferFrame, heldFull, releaseFrames } from "./held-frames.ts";
import type { CatchUpHost } from "./history/join-catch-up.ts";
import { LiveBacklogs } from "./history/live-backlogs.ts";
import { answerHistory, type HistoryHost } from "./history/page-request.ts";
import { Membership } from "./membership.ts";
import { ReadPositionRelay, UNREAD_COUNT_LIMIT } from "./read-positions.ts";
import { replaceConnection } from "./reclaim.ts";
import { renameSession } from "./rename.ts";
import { deliverMessage, deliverRoomEvent, type RoomEventsHost } from "./room-events.ts";
import { answerWho, joinRoom, leaveRoom, picturesOf } from "./room-membership.ts";
import { RoomOrder } from "./room-order.ts";
import { type RoomWatcher, RoomWatchers } from "./room-watchers.ts";
import { answerSearch, type SearchHost } from "./search-request.ts";
import type { ChatServiceOptions } from "./service-options.ts";
import type { Session } from "./session.ts";
import { closeSession, openSession } from "./session-life.ts";
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
  readonly sessions = new Map<ClientLink, Session>();
  /** Per room, the subs still catching up: live messages are kept for them aside. */
  readonly backlogs = new LiveBacklogs();
  /** Puts messages from other nodes in seq order and fills gaps from the store. */
  readonly order: RoomOrder;
  readonly members: Membership<Session>;
  /** Event streams of the HTTP API, which hear a room's events without being its members. */
  readonly watchers = new RoomWatchers();
  /** Signed-in users: tokens, names, private rooms. */
  readonly userAccess: UserAccess;
  private readonly typingRelay: TypingRelay;
  private readonly reads: ReadPositionRelay;
  private readonly mentions: MentionRelay;
  private readonly historyHost: HistoryHost;
  readonly catchUpHost: CatchUpHost;
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
      countMessages: (room: string, after: number, upTo: number) =>
        store.countMessages(room, after, upTo, UNREAD_COUNT_LIMIT),
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
      pictures: (room) => picturesOf(this.hub, room),
      flush: () => this.delivery.flush(),
      goLive: (room, sub) => this.backlogs.goLive(room, sub),
      joinedUnread: (session, room, lastSeq) => this.reads.joinedUnread(session, room, lastSeq),
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

  /** A new connection: its name claimed, its welcome, its room when the URL named one (session-life.ts). */
  open(link: ClientLink): Session {
    return openSession(this, link);
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

  /** The connection is gone (any reason); `replaced`: its client took its name to a new connection (session-life.ts). */
  close(link: ClientLink, replaced = false): void {
    closeSession(this, link, replaced);
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

  /** A message from outside the chat (the HTTP API), as `nick` (api-entry.ts). */
  publishAs(room: string, nick: string, text: string, cid: string | undefined, file?: FileRef): Promise<AppendResult> {
    return publishAs(this, room, nick, text, cid, file);
  }

  /** Hears `room`'s events (subscribed through the broker) until the returned function is called (api-entry.ts). */
  watchRoom(room: string, watcher: RoomWatcher): Promise<() => void> {
    return watchRoom(this, room, watcher);
  }

  /** `nick`: the name is taken across the cluster, then here, and announced (rename.ts). */
  rename(session: Session, requested: string, reconnectKey?: string): Promise<void> {
    return renameSession(this, session, requested, reconnectKey);
  }

  /** A member joins a room (room-membership.ts). */
  join(session: Session, room: string, since: number | undefined, limit: number | undefined): Promise<void> {
    return joinRoom(this, session, room, since, limit);
  }

  leave(session: Session, room: string, confirm = true): void {
    leaveRoom(this, session, room, confirm);
  }

  who(session: Session, room: string): Promise<void> {
    return answerWho(this, session, room);
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

  /** Drops the room's broker subscription when nobody here needs it any more. */
  unsubscribeIfEmpty(room: string): void {
    if (this.hub.membersOf(room).size > 0 || this.watchers.has(room)) return;
    this.order.drop(room);
    this.background("unsubscribe", this.options.broker.unsubscribe(room));
  }
}

const noSearch = {
  search: () => Promise.reject(new Error("no search index")),
  close: () => Promise.resolve(),
};
