import { ParleyError } from "../chat/errors.ts";
import type { Hub, Member, PresenceEvent } from "../chat/hub.ts";
import { nickKey, randomNick, validateNick } from "../chat/nick.ts";
import { type Presence, type Reclaimed, userOwner } from "../presence/presence.ts";

/** Anyone may take any name (anonymous members): one function, not a default closure per call. */
const RESERVED = (): Promise<boolean> => Promise.resolve(true);

/**
 * This node's members in the cluster-wide presence: each is owned as `node:member`, holds its
 * nickname there, and has an entry per room. With the memory presence this is one node's view.
 */
export class Membership<C> {
  readonly presence: Presence;
  private readonly nodeId: string;
  private readonly hub: Hub<C>;
  /** The hash of an anonymous member's reconnect key, kept with each nickname it claims. */
  private readonly keyHashOf: (member: Member<C>) => string | undefined;
  /** Runs work nobody waits for; its failure is reported, never left unhandled. */
  private readonly background: (what: string, work: Promise<unknown>) => void;

  constructor(
    presence: Presence,
    nodeId: string,
    hub: Hub<C>,
    keyHashOf: (member: Member<C>) => string | undefined = () => undefined,
    background: (what: string, work: Promise<unknown>) => void = (_, work) => {
      work.catch(() => {});
    },
  ) {
    this.presence = presence;
    this.nodeId = nodeId;
    this.hub = hub;
    this.keyHashOf = keyHashOf;
    this.background = background;
  }

  /** The member whose owner string was made last, and that string (see `owner`). */
  private ownerOfLast: { id: number; owner: string } = { id: -1, owner: "" };

  owner(member: Member<C>): string {
    // A connection's owner is asked for several times in a row (its nickname, then its room),
    // and presence keeps each in a table for the connection's life: one string for all of them,
    // built flat by join (a template literal would keep two rope nodes per copy).
    if (this.ownerOfLast.id === member.id) return this.ownerOfLast.owner;
    const owner = [this.nodeId, member.id].join(":");
    this.ownerOfLast = { id: member.id, owner };
    return owner;
  }

  private announce: (events: PresenceEvent[]) => void = () => {};

  /** Where this node's members and the leaves of dead nodes' members go. */
  wire(members: () => Iterable<Member<C>>, announce: (events: PresenceEvent[]) => void): void {
    this.announce = announce;
    this.presence.onGone(announce);
    this.presence.setLocalMembers(() =>
      [...members()].map((m) => ({
        owner: this.owner(m),
        nick: m.nick,
        rooms: [...m.rooms],
        user: m.user,
        keyHash: this.keyHashOf(m),
      })),
    );
  }

  /**
   * Takes the member's random `user-N` across the cluster, drawing another while it is held
   * elsewhere. A signed-in user's first connection here takes the user's name (`name-2`… while
   * another user holds it on another node, or `reserve` says it belongs to another user).
   */
  async claimFirstNick(
    member: Member<C>,
    random: () => number,
    reserve: (nick: string) => Promise<boolean> = RESERVED,
  ): Promise<void> {
    if (member.user !== undefined) {
      await this.claimUserNick(member, member.user, reserve);
      return;
    }
    for (let attempt = 0; attempt < 20; attempt++) {
      if (await this.presence.claimNick(member.nick, this.owner(member), this.keyHashOf(member))) return;
      try {
        this.hub.rename(member, randomNick(random));
      } catch {
        // taken here too: draw again
      }
    }
  }

  private async claimUserNick(member: Member<C>, user: string, reserve: (nick: string) => Promise<boolean>) {
    if (this.hub.connectionsOf(user).size > 1) return; // settled by the user's first connection here
    for (let n = 2; n < 22; n++) {
      if ((await reserve(member.nick)) && (await this.presence.claimNick(member.nick, userOwner(user)))) return;
      if (!this.hub.connectionsOf(user).has(member)) return;
      this.hub.renameUser(user, n);
    }
  }

  /** An anonymous member here was renamed because a signed-in user arrived with its name. */
  async bumped(member: Member<C>, from: string): Promise<void> {
    await this.presence.claimNick(member.nick, this.owner(member), this.keyHashOf(member));
    await this.renamed(member, from);
  }

  /** Takes `nick` across the cluster for a rename; throws `bad_nick` or `nick_taken`. */
  async claimRename(member: Member<C>, nick: string): Promise<void> {
    validateNick(nick);
    if (nick === member.nick) return;
    const sameMember = nickKey(nick) === nickKey(member.nick);
    if (
      (!sameMember && this.hub.isNickTaken(nick)) ||
      !(await this.presence.claimNick(nick, this.owner(member), this.keyHashOf(member)))
    ) {
      throw new ParleyError("nick_taken", `The nickname ${nick} is taken.`);
    }
  }

  /** Takes `nick` back across the cluster with the hash of an old connection's reconnect key; undefined when refused. */
  reclaim(member: Member<C>, nick: string, proof: string): Promise<Reclaimed | undefined> {
    const keyHash = this.keyHashOf(member);
    if (keyHash === undefined) return Promise.resolve(undefined);
    return this.presence.reclaimNick(nick, this.owner(member), proof, keyHash);
  }

  /** After the hub renamed the member from `from`: its room entries carry the new nick, the old one is free. */
  async renamed(member: Member<C>, from: string): Promise<void> {
    const owner = this.owner(member);
    for (const room of member.rooms) await this.presence.join(room, owner, member.nick, member.user);
    if (nickKey(member.nick) !== nickKey(from)) await this.presence.releaseNick(from, owner);
  }

  /** true when the member's person is new to the room across the cluster (announce the join). */
  joined(member: Member<C>, room: string): Promise<boolean> {
    return this.presence.join(room, this.owner(member), member.nick, member.user);
  }

  /** true when the member's person left the room across the cluster (announce the leave). */
  left(member: Member<C>, room: string): Promise<boolean> {
    return this.presence.leave(room, this.owner(member), member.user);
  }

  /**
   * The hub took the member out of a room: an anonymous member's leave is announced at once (as
   * ever); a signed-in user's only when it was their last connection there, on any node.
   */
  leftRoom(member: Member<C>, event: PresenceEvent): void {
    const left = this.left(member, event.room);
    if (member.user === undefined) {
      this.announce([event]);
      this.background("presence_leave", left);
    } else
      this.background(
        "presence_leave",
        left.then((last) => last && this.announce([event])),
      );
  }

  /** The hub removed the member (`events`: its leaves): announced as `leftRoom` does. */
  removed(member: Member<C>, events: PresenceEvent[]): void {
    const gone = this.gone(
      member,
      events.map((e) => e.room),
    );
    if (member.user === undefined) {
      this.announce(events);
      this.background("presence_leave", gone);
    } else
      this.background(
        "presence_leave",
        gone.then((rooms) => this.announce(events.filter((e) => rooms.includes(e.room)))),
      );
  }

  /** The member is gone: out of its rooms, its nickname free; resolves with the rooms its person left. */
  async gone(member: Member<C>, rooms: readonly string[], nick = member.nick): Promise<string[]> {
    const left = await Promise.all(rooms.map((room) => this.left(member, room)));
    if (member.user === undefined) this.background("release_nick", this.presence.releaseNick(nick, this.owner(member)));
    else if (this.hub.connectionsOf(member.user).size === 0) {
      this.background("release_nick", this.presence.releaseNick(nick, userOwner(member.user)));
    }
    return rooms.filter((_, i) => left[i]);
  }

  /** Everyone in the room on every node; this node's view when the presence engine does not answer. */
  async members(room: string): Promise<string[]> {
    try {
      return await this.presence.members(room);
    } catch {
      return this.hub.nicksIn(room);
    }
  }
}
