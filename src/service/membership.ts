import { ParleyError } from "../chat/errors.ts";
import type { Hub, Member, PresenceEvent } from "../chat/hub.ts";
import { nickKey, randomNick, validateNick } from "../chat/nick.ts";
import type { Presence } from "../presence/presence.ts";

/**
 * This node's members in the cluster-wide presence: each is owned as `node:member`, holds its
 * nickname there, and has an entry per room. With the memory presence this is one node's view.
 */
export class Membership<C> {
  constructor(
    readonly presence: Presence,
    private readonly nodeId: string,
    private readonly hub: Hub<C>,
  ) {}

  owner(member: Member<C>): string {
    return `${this.nodeId}:${member.id}`;
  }

  /** Where this node's members and the leaves of dead nodes' members go. */
  wire(members: () => Iterable<Member<C>>, announce: (events: PresenceEvent[]) => void): void {
    this.presence.onGone(announce);
    this.presence.setLocalMembers(() =>
      [...members()].map((m) => ({ owner: this.owner(m), nick: m.nick, rooms: [...m.rooms] })),
    );
  }

  /** Takes the member's random `user-N` across the cluster, drawing another while it is held elsewhere. */
  async claimFirstNick(member: Member<C>, random: () => number): Promise<void> {
    for (let attempt = 0; attempt < 20; attempt++) {
      if (await this.presence.claimNick(member.nick, this.owner(member))) return;
      try {
        this.hub.rename(member, randomNick(random));
      } catch {
        // taken here too: draw again
      }
    }
  }

  /** Takes `nick` across the cluster for a rename; throws `bad_nick` or `nick_taken`. */
  async claimRename(member: Member<C>, nick: string): Promise<void> {
    validateNick(nick);
    if (nick === member.nick) return;
    const sameMember = nickKey(nick) === nickKey(member.nick);
    if ((!sameMember && this.hub.isNickTaken(nick)) || !(await this.presence.claimNick(nick, this.owner(member)))) {
      throw new ParleyError("nick_taken", `The nickname ${nick} is taken.`);
    }
  }

  /** After the hub renamed the member from `from`: its room entries carry the new nick, the old one is free. */
  async renamed(member: Member<C>, from: string): Promise<void> {
    const owner = this.owner(member);
    for (const room of member.rooms) await this.presence.join(room, owner, member.nick);
    if (nickKey(member.nick) !== nickKey(from)) await this.presence.releaseNick(from, owner);
  }

  joined(member: Member<C>, room: string): Promise<void> {
    return this.presence.join(room, this.owner(member), member.nick);
  }

  left(member: Member<C>, room: string): void {
    void this.presence.leave(room, this.owner(member));
  }

  /** The member is gone: out of its rooms, its nickname free. */
  gone(member: Member<C>, rooms: readonly string[], nick = member.nick): void {
    for (const room of rooms) this.left(member, room);
    void this.presence.releaseNick(nick, this.owner(member));
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
