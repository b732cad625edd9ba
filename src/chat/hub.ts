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
  /** Whatever the caller keeps per member (the service keeps its session here). */
  readonly session: C;
  /** The signed-in user this connection belongs to (the token's `sub`); undefined when anonymous. */
  readonly user?: string | undefined;
}

export type PresenceEvent =
  /** `picture`: a signed-in user's, from their token (picture.ts). */
  | { room: string; action: "join"; nick: string; picture?: string }
  | { room: string; action: "leave"; nick: string }
  | { room: string; action: "nick"; from: string; nick: string };

export interface HubOptions {
  random: () => number;
  maxRoomsPerMember: number;
}

/** A signed-in user as the hub needs them: stable id, display name. */
export interface HubUser {
  id: string;
  name: string;
}

export interface AddedUser<C> {
  member: Member<C>;
  /** An anonymous member here who held the user's name and was given a fresh one, with its renames. */
  bumped?: { member: Member<C>; from: string; events: PresenceEvent[] };
}

/**
 * Who is connected and where: two indexes (rooms → connections, connection → rooms) kept
 * in step, and the nickname registry. A member is one connection. An anonymous connection is
 * one person (the Cookbook's rule); a signed-in user's connections share one nickname.
 * Pure: no I/O, no clock; randomness injected.
 */
export class Hub<C> {
  private readonly byId = new Map<number, Member<C>>();
  /** nickname key → holder: the member of an anonymous nick, the user's entry for a user's. */
  private readonly byNick = new Map<string, Member<C> | UserEntry<C>>();
  private readonly users = new Map<string, UserEntry<C>>();
  private readonly rooms = new Map<string, Set<Member<C>>>();
  private nextId = 1;

  private readonly options: HubOptions;

  constructor(options: HubOptions) {
    this.options = options;
  }

  /** Registers an anonymous member under a fresh, unused `user-N` nickname. */
  add(mode: Mode, session: C): Member<C> {
    // The key freeRandomNick checked is the one registered: not computed a second time per connect.
    const { nick, key } = this.freeRandomNick();
    const member: Member<C> = { id: this.nextId++, nick, mode, rooms: new SmallSet(), session };
    this.byId.set(member.id, member);
    this.byNick.set(key, member);
    return member;
  }

  /**
   * Registers one more connection of a signed-in user. The first takes the user's name as
   * nickname: an anonymous member holding it here is renamed (the name is the user's); another
   * user holding it (two users, one display name) makes this one `name-2`, `name-3`…
   */
  addUser(mode: Mode, session: C, user: HubUser): AddedUser<C> {
    let entry = this.users.get(user.id);
    let bumped: AddedUser<C>["bumped"];
    if (!entry) {
      const holder = this.byNick.get(nickKey(user.name));
      if (holder && !isUserEntry(holder)) {
        const from = holder.nick;
        bumped = { member: holder, from, events: this.rename(holder, this.freeRandomNick().nick) };
      }
      entry = { id: user.id, name: user.name, nick: this.freeName(user.name, 1), members: new Set() };
      this.users.set(user.id, entry);
      this.byNick.set(nickKey(entry.nick), entry);
    }
    const member: Member<C> = {
      id: this.nextId++,
      nick: entry.nick,
      mode,
      rooms: new SmallSet(),
      session,
      user: user.id,
    };
    this.byId.set(member.id, member);
    entry.members.add(member);
    return bumped ? { member, bumped } : { member };
  }

  /**
   * The next free form of `name` from the `start`-th on (`name`, `name-2`, …), for a user whose
   * name is held on another node. Only before the user's connections are in any room.
   */
  renameUser(user: string, start: number): string | undefined {
    const entry = this.users.get(user);
    if (!entry) return undefined;
    const nick = this.freeName(entry.name, start);
    if (this.byNick.get(nickKey(entry.nick)) === entry) this.byNick.delete(nickKey(entry.nick));
    entry.nick = nick;
    this.byNick.set(nickKey(nick), entry);
    for (const member of entry.members) member.nick = nick;
    return nick;
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
    const key = nickKey(member.nick);
    const entry = member.user === undefined ? undefined : this.users.get(member.user);
    if (entry) {
      entry.members.delete(member);
      if (entry.members.size === 0) {
        this.users.delete(entry.id);
        if (this.byNick.get(key) === entry) this.byNick.delete(key);
      }
    } else if (this.byNick.get(key) === member) this.byNick.delete(key);
    return [...member.rooms].map((room) => this.leave(member, room));
  }

  /** Validates and takes `requested` (as `validateNick` shows it) for an anonymous member; one `nick` event per room it is in. */
  rename(member: Member<C>, requested: string): PresenceEvent[] {
    if (member.user !== undefined) {
      throw new ParleyError("forbidden", "Your name comes from your sign-in; it cannot be changed here.");
    }
    const nick = validateNick(requested);
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

  /** A member holding `nick` (or a lookalike: `nickKey`), if any: one of a signed-in user's connections. */
  find(nick: string): Member<C> | undefined {
    return this.findAll(nick)[0];
  }

  /** Every connection holding `nick`: one anonymous member, or all of a signed-in user's. */
  findAll(nick: string): Member<C>[] {
    const holder = this.byNick.get(nickKey(nick));
    if (!holder) return [];
    return isUserEntry(holder) ? [...holder.members] : [holder];
  }

  /** A signed-in user's connections here. */
  connectionsOf(user: string): ReadonlySet<Member<C>> {
    return this.users.get(user)?.members ?? EMPTY;
  }

  isNickTaken(nick: string): boolean {
    return this.byNick.has(nickKey(nick));
  }

  membersOf(room: string): ReadonlySet<Member<C>> {
    return this.rooms.get(room) ?? EMPTY;
  }

  /** The nicknames of the people in the room, each once (a user with three tabs there is one). */
  nicksIn(room: string): string[] {
    return [...new Set([...this.membersOf(room)].map((member) => member.nick))];
  }

  get memberCount(): number {
    return this.byId.size;
  }

  roomNames(): string[] {
    return [...this.rooms.keys()];
  }

  private freeName(name: string, start: number): string {
    if (start <= 1 && !this.byNick.has(nickKey(name))) return name;
    for (let n = Math.max(start, 2); ; n++) {
      const suffix = `-${n}`;
      const candidate = [...name].slice(0, 32 - suffix.length).join("") + suffix;
      if (!this.byNick.has(nickKey(candidate))) return candidate;
    }
  }

  /** An unused `user-N` nickname, with the key it is free under. */
  private freeRandomNick(): { nick: string; key: string } {
    for (let attempt = 0; attempt < 100; attempt++) {
      const nick = randomNick(this.options.random);
      const key = nickKey(nick);
      if (!this.byNick.has(key)) return { nick, key };
    }
    // The Cookbook's space of 100,000 names is nearly full: widen it rather than fail.
    for (let n = 100000; ; n++) {
      const nick = `user-${n}`;
      const key = nickKey(nick);
      if (!this.byNick.has(key)) return { nick, key };
    }
  }
}

interface UserEntry<C> {
  readonly id: string;
  /** The token's name; `nick` is it, or `name-2`… when another user holds it. */
  readonly name: string;
  nick: string;
  readonly members: Set<Member<C>>;
}

const isUserEntry = <C>(holder: Member<C> | UserEntry<C>): holder is UserEntry<C> => "members" in holder;

const EMPTY: ReadonlySet<never> = new Set();
