import type { VerifyToken } from "../auth/tokens.ts";
import type { Broker } from "../broker/broker.ts";
import { ParleyError } from "../chat/errors.ts";
import type { AddedUser, Hub, Member, PresenceEvent } from "../chat/hub.ts";
import type { RoomAccess, VerifiedUser } from "../chat/identity.ts";
import { validateRoomName } from "../chat/room-name.ts";
import { CLOSING } from "../protocol/close-codes.ts";
import { type ServerEvent, SUBPROTOCOL_JSON } from "../protocol/json.ts";
import type { UserStore } from "../store/user-store.ts";
import type { Membership } from "./membership.ts";
import type { ReadPositionRelay } from "./read-positions.ts";
import type { Session } from "./session.ts";
import { ACCESS_CHANNEL, forbidden, userChannel } from "./users.ts";

export interface UserAccessOptions {
  /** Read positions, reserved names and room privacy of signed-in users. */
  users: UserStore;
  /** Which rooms are private (this node's copy; `~access` events keep every node's the same). */
  access: RoomAccess;
  /** Verifies tokens (handshake and refresh); absent when auth is off. */
  verifyToken?: VerifyToken | undefined;
  /** Grace after `exp` before an unrefreshed connection is closed (the verifier's clock tolerance). */
  clockToleranceMs: number;
  /** At most one relayed typing notice per person and room per this many milliseconds. */
  typingIntervalMs: number;
}

/** What user access uses of the service. */
export interface UserAccessHost {
  readonly hub: Pick<Hub<Session>, "add" | "addUser" | "membersOf">;
  readonly members: Pick<Membership<Session>, "bumped" | "claimFirstNick">;
  readonly broker: Pick<Broker, "subscribe" | "unsubscribe" | "publish">;
  random(): number;
  now(): number;
  /** Logs work that failed with no client request to answer. */
  report(what: string, error: unknown): void;
  background(what: string, work: Promise<unknown>): void;
  announce(events: PresenceEvent[]): void;
  sessionsOf(user: string): Session[];
  isOpen(session: Session): boolean;
  leave(session: Session, room: string, confirm?: boolean): void;
}

/** How long a signed-in connection's welcome waits for the user store to reserve its name. */
const RESERVE_WAIT_MS = 1000;

// setTimeout holds at most 2^31-1 ms; a later expiry is re-armed in steps.
const MAX_TIMER_MS = 2 ** 31 - 1;

const unauthorized = (message: string) => new ParleyError("unauthorized", message);

/**
 * What the chat does for signed-in users and private rooms beyond the hub: who a connection is,
 * its reserved name, token expiry and refresh on the open connection, who may enter or watch a
 * room. Unread counts for the welcome come from the read-position relay.
 */
export class UserAccess {
  /** Anonymous members renamed because a signed-in user arrived with their name, until settled. */
  private readonly bumps = new WeakMap<Session, NonNullable<AddedUser<Session>["bumped"]>>();

  private readonly host: UserAccessHost;
  readonly options: UserAccessOptions;
  private readonly reads: ReadPositionRelay;

  constructor(host: UserAccessHost, options: UserAccessOptions, reads: ReadPositionRelay) {
    this.host = host;
    this.options = options;
    this.reads = reads;
  }

  /** A new connection's member: anonymous (`user-N`), or one more connection of a signed-in user. */
  addMember(session: Session): Member<Session> {
    const { mode, identity } = session.link.info;
    if (!identity) return this.host.hub.add(mode, session);
    session.identity = identity;
    const added = this.host.hub.addUser(mode, session, { id: identity.id, name: identity.name });
    if (added.bumped) this.bumps.set(session, added.bumped);
    return added.member;
  }

  /** Before the welcome: the nickname is settled across the cluster; a signed-in user's name is reserved. */
  claimName(session: Session): Promise<void> {
    // Anonymous (never bumped: only signed-in users' connections are): just its random nick, with no
    // async frame and no reserve closure of its own around it. Every Cookbook client comes this way.
    if (!session.identity) return this.host.members.claimFirstNick(session.member, this.host.random);
    return this.claimSignedIn(session);
  }

  private async claimSignedIn(session: Session): Promise<void> {
    const { members, broker } = this.host;
    const bumped = this.bumps.get(session);
    if (bumped) {
      this.bumps.delete(session);
      await members.bumped(bumped.member, bumped.from);
      if (bumped.member.mode === "json") bumped.member.session.reply({ type: "nick", nick: bumped.member.nick });
      this.host.announce(bumped.events);
    }
    const identity = session.identity;
    await members.claimFirstNick(session.member, this.host.random, (nick) => this.reserve(identity, nick));
    if (!identity) return;
    this.armExpiry(session);
    if (this.host.sessionsOf(identity.id).length === 1) {
      // Without it this node misses the user's read positions from other nodes; the connection itself is fine.
      await broker.subscribe(userChannel(identity.id)).catch((error: unknown) => {
        this.host.report("subscribe", error);
      });
    }
  }

  /**
   * true when `nick` is (now) reserved for the signed-in user: a name belongs to the first user
   * (`sub`) who had it, even while they are away; another user with the same name gets `name-2`.
   */
  private async reserve(identity: VerifiedUser | undefined, nick: string): Promise<boolean> {
    if (!identity) return true;
    let timer: NodeJS.Timeout | undefined;
    // The store is away or slow: who is connected (the presence) decides alone; reserved on the next connection.
    const away = new Promise<string>((resolve) => {
      timer = setTimeout(() => resolve(identity.id), RESERVE_WAIT_MS);
    });
    try {
      return (await Promise.race([this.options.users.reserveName(identity.id, nick), away])) === identity.id;
    } catch {
      return true;
    } finally {
      clearTimeout(timer);
    }
  }

  /** The first frame: nick and room, and for a signed-in user who they are and what is unread. */
  async welcome(session: Session): Promise<void> {
    const { link, member, identity } = session;
    const event: ServerEvent = {
      type: "welcome",
      protocol: SUBPROTOCOL_JSON,
      nick: member.nick,
      rooms: link.info.autoJoin ? [link.info.room] : [],
    };
    if (session.reconnectKey !== undefined) event.reconnectKey = session.reconnectKey;
    if (identity) {
      event.user = { id: identity.id, name: identity.name, exp: Math.floor(identity.expiresAt / 1000) };
      if (identity.picture !== undefined) event.user.picture = identity.picture;
      const unread = await this.reads.unreadByRoom(session);
      if (unread) event.unread = unread;
      const mentions = await this.options.users.mentionCounts(identity.id).catch(() => undefined);
      const granted = [...(mentions ?? [])].filter(([room]) => this.options.access.mayEnter(identity, room));
      if (granted.length > 0) event.mentions = Object.fromEntries(granted);
      const joined = await this.options.users.joinedRooms(identity.id).catch(() => undefined);
      if (joined) event.joined = joined.filter((room) => this.options.access.mayEnter(identity, room));
    }
    session.reply(event);
  }

  /** A signed-in user joined (or left, by their own `leave`) a room: kept for their other devices. */
  keepJoined(session: Session, room: string, joined: boolean): void {
    const user = session.identity?.id;
    if (user !== undefined) this.host.background("joined-rooms", this.options.users.setJoined(user, room, joined));
  }

  /** The connection is gone. */
  closed(session: Session): void {
    clearTimeout(session.expiry);
    const user = session.member.user;
    if (user !== undefined && this.host.sessionsOf(user).length === 0) {
      this.host.background("unsubscribe", this.host.broker.unsubscribe(userChannel(user)));
    }
  }

  /** A signed-in user keeps their name; nobody else may take a name a signed-in user has used. */
  async checkRename(session: Session, nick: string): Promise<void> {
    if (session.identity)
      throw new ParleyError("forbidden", "Your name comes from your sign-in; it cannot be changed.");
    if (!this.options.verifyToken) return; // auth off: no one ever signed in
    let owner: string | undefined;
    try {
      owner = await this.options.users.nameOwner(nick);
    } catch {
      throw new ParleyError("store_unavailable", "Names could not be checked; try again.");
    }
    if (owner !== undefined)
      throw new ParleyError("nick_taken", `The nickname ${nick} is reserved for a signed-in user.`);
  }

  /** Throws `forbidden` unless the session's token grants the room (always, for a public room). */
  checkEnter(session: Session, room: string): void {
    if (!this.options.access.mayEnter(session.identity, room)) throw forbidden(room);
  }

  /** `who` of a private room the token does not grant: `forbidden`, and false. */
  mayWatch(session: Session, room: string): boolean {
    if (this.options.access.mayEnter(session.identity, room)) return true;
    session.fail(forbidden(room), { room });
    return false;
  }

  /** `{"type":"auth","token"}`: a fresh token for the same user extends the connection. */
  async refresh(session: Session, token: string): Promise<void> {
    const current = session.identity;
    const verify = this.options.verifyToken;
    if (!current || !verify) {
      session.fail(unauthorized("This connection is anonymous; connect with a token to sign in."), {});
      return;
    }
    let next: VerifiedUser;
    try {
      next = await verify(token);
    } catch (error) {
      session.fail(unauthorized((error as Error).message), {});
      return;
    }
    if (next.id !== current.id) {
      session.fail(unauthorized("The token is for another user."), {});
      return;
    }
    if (!this.host.isOpen(session)) return;
    // The nickname stays for the connection's life; a new name shows on the next connection.
    session.identity = next;
    this.armExpiry(session);
    session.reply({ type: "auth", exp: Math.floor(next.expiresAt / 1000) });
    for (const room of [...session.member.rooms]) this.evictIfDenied(session, room);
  }

  /**
   * An administrator makes a room private (or public again): stored (it outlives restarts and
   * reaches nodes that start later), then announced to every node on `~access`.
   */
  async setRoomPrivate(rawRoom: string, isPrivate: boolean): Promise<string> {
    const room = validateRoomName(rawRoom);
    if (isPrivate && !this.options.verifyToken) {
      throw new ParleyError("bad_request", "Private rooms need signed tokens: start Parley with an auth key.");
    }
    await this.options.users.setRoomPrivacy(room, isPrivate);
    await this.host.broker.publish(ACCESS_CHANNEL, { type: "access", room, private: isPrivate });
    return room;
  }

  /** The rooms that are private now, sorted. */
  privateRooms(): string[] {
    return this.options.access.list();
  }

  /** Members not granted a room made private are put out at once. */
  applyPrivacy(room: string, isPrivate: boolean): void {
    if (this.options.access.setPrivate(room, isPrivate) && isPrivate) {
      for (const member of [...this.host.hub.membersOf(room)]) this.evictIfDenied(member.session, room);
    }
  }

  /** Puts the session out of `room` when its token does not (or no longer) grant it. */
  private evictIfDenied(session: Session, room: string): void {
    if (this.options.access.mayEnter(session.identity, room) || !session.member.rooms.has(room)) return;
    if (session.member.mode === "text") {
      session.link.close(CLOSING.madePrivate);
      return;
    }
    session.fail(forbidden(room), { room });
    this.host.leave(session, room);
  }

  /** Closes the connection with 4005 once its token is past `exp` (plus the clock tolerance). */
  private armExpiry(session: Session): void {
    clearTimeout(session.expiry);
    const identity = session.identity;
    if (!identity) return;
    const wait = identity.expiresAt + this.options.clockToleranceMs - this.host.now();
    if (wait <= 0) {
      session.link.close(CLOSING.tokenExpired);
      return;
    }
    session.expiry = setTimeout(() => this.armExpiry(session), Math.min(wait, MAX_TIMER_MS));
    session.expiry.unref();
  }
}
