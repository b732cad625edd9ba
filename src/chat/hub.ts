import { ParleyError } from "./errors.ts";
import { nickKey, randomNick, validateNick } from "./nick.ts";
import { SmallSet } from "./small-collections.ts";

/** `text` is the Cookbook's plain-text wire; `json` is the structured protocol. */
export type Mode = "text" | "json";

export interface Member<C> {
  readonly id: number;
  nick: string;
  readonly mode: Mode;
  readonly rooms: SmallSet<string>;
  /** Whatever the caller keeps per member (the transport keeps its connection here). */
  readonly conn: C;
}

export type PresenceEvent =
  | { room: string; action: "join"; nick: string }
  | { room: string; action: "leave"; nick: string }
  | { room: string; action: "nick"; from: string; nick: string };

export interface HubOptions {
  random: () => number;
  maxRoomsPerMember: number;
}

/**
 * Who is connected and where: two indexes (rooms → members, member → rooms) kept
 * in step, and the nickname registry. Pure: no I/O, no clock; randomness injected.
 */
export class Hub<C> {
  private readonly byId = new Map<number, Member<C>>();
  private readonly byNick = new Map<string, Member<C>>();
  private readonly rooms = new Map<string, Set<Member<C>>>();
  private nextId = 1;

  constructor(private readonly options: HubOptions) {}

  /** Registers a member under a fresh, unused `user-N` nickname. */
  add(mode: Mode, conn: C): Member<C> {
    const member: Member<C> = { id: this.nextId++, nick: this.freeRandomNick(), mode, rooms: new SmallSet(), conn };
    this.byId.set(member.id, member);
    this.byNick.set(nickKey(member.nick), member);
    return member;
  }

  join(member: Member<C>, room: string): PresenceEvent {
    if (member.rooms.has(room)) throw new ParleyError("already_in_room", `You are already in ${room}.`);
    if (member.rooms.size >= this.options.maxRoomsPerMember) {
      throw new ParleyError(
        "too_many_rooms",
        `A connection can be in ${this.options.maxRoomsPerMember} rooms at most.`,
      );
    }
    let members = this.rooms.get(room);
    if (!members) {
      members = new Set();
      this.rooms.set(room, members);
    }
    members.add(member);
    member.rooms.add(room);
    return { room, action: "join", nick: member.nick };
  }

  leave(member: Member<C>, room: string): PresenceEvent {
    if (!member.rooms.has(room)) throw new ParleyError("not_in_room", `You are not in ${room}.`);
    member.rooms.delete(room);
    const members = this.rooms.get(room);
    members?.delete(member);
    if (members?.size === 0) this.rooms.delete(room);
    return { room, action: "leave", nick: member.nick };
  }

  /** Removes the member everywhere first, then returns one leave per room it was in. */
  remove(member: Member<C>): PresenceEvent[] {
    if (!this.byId.delete(member.id)) return [];
    if (this.byNick.get(nickKey(member.nick)) === member) this.byNick.delete(nickKey(member.nick));
    return [...member.rooms].map((room) => this.leave(member, room));
  }

  /** Validates and takes `nick`; returns one `nick` event per room the member is in. */
  rename(member: Member<C>, nick: string): PresenceEvent[] {
    validateNick(nick);
    if (nick === member.nick) return [];
    const key = nickKey(nick);
    const holder = this.byNick.get(key);
    if (holder && holder !== member) throw new ParleyError("nick_taken", `The nickname ${nick} is taken.`);
    const from = member.nick;
    this.byNick.delete(nickKey(from));
    this.byNick.set(key, member);
    member.nick = nick;
    return [...member.rooms].map((room) => ({ room, action: "nick", from, nick }));
  }

  /** The member holding `nick` (case-insensitively), if any. */
  find(nick: string): Member<C> | undefined {
    return this.byNick.get(nickKey(nick));
  }

  isNickTaken(nick: string): boolean {
    return this.byNick.has(nickKey(nick));
  }

  membersOf(room: string): ReadonlySet<Member<C>> {
    return this.rooms.get(room) ?? EMPTY;
  }

  nicksIn(room: string): string[] {
    return [...this.membersOf(room)].map((member) => member.nick);
  }

  get memberCount(): number {
    return this.byId.size;
  }

  roomNames(): string[] {
    return [...this.rooms.keys()];
  }

  private freeRandomNick(): string {
    for (let attempt = 0; attempt < 100; attempt++) {
      const nick = randomNick(this.options.random);
      if (!this.byNick.has(nickKey(nick))) return nick;
    }
    // The Cookbook's space of 100,000 names is nearly full: widen it rather than fail.
    let n = 100000;
    while (this.byNick.has(`user-${n}`)) n++;
    return `user-${n}`;
  }
}

const EMPTY: ReadonlySet<never> = new Set();
