import { isIP } from "node:net";
import type { Broker } from "../broker/broker.ts";
import { ParleyError } from "../chat/errors.ts";
import type { Hub } from "../chat/hub.ts";
import type { ChatMessage } from "../chat/message.ts";
import { nickKey, validateNick } from "../chat/nick.ts";
import { validateRoomName } from "../chat/room-name.ts";
import { CLOSING } from "../protocol/close-codes.ts";
import type { HistoryStore } from "../store/history-store.ts";
import type { ClientLink } from "../transport/client-link.ts";
import { normalizeIp } from "../transport/conn-limits.ts";
import type { Session } from "./session.ts";

export type BanKind = "nick" | "ip";

export interface Ban {
  kind: BanKind;
  value: string;
  /** When the ban ends, in ms since the epoch. */
  until: number;
}

const MAX_BAN_MINUTES = 366 * 24 * 60;

/** Nick and address bans, each for a time; expired ones vanish when next looked at. */
export class Bans {
  private readonly bans = new Map<string, Ban>();

  private readonly now: () => number;

  constructor(now: () => number) {
    this.now = now;
  }

  add(kind: BanKind, value: string, minutes: number): Ban {
    if (!Number.isInteger(minutes) || minutes < 1 || minutes > MAX_BAN_MINUTES) {
      throw new ParleyError("bad_request", `minutes must be a whole number from 1 to ${MAX_BAN_MINUTES}.`);
    }
    if (kind === "ip" && isIP(normalizeIp(value)) === 0) throw new ParleyError("bad_request", `${value} is not an IP.`);
    if (kind === "nick") validateNick(value);
    const ban: Ban = { kind, value: kind === "ip" ? normalizeIp(value) : value, until: this.now() + minutes * 60_000 };
    this.bans.set(keyOf(kind, value), ban);
    return ban;
  }

  remove(kind: BanKind, value: string): boolean {
    return this.bans.delete(keyOf(kind, value));
  }

  has(kind: BanKind, value: string): boolean {
    if (this.bans.size === 0) return false; // the common case, on every handshake and rename
    const key = keyOf(kind, value);
    const ban = this.bans.get(key);
    if (ban && ban.until <= this.now()) this.bans.delete(key);
    return this.bans.has(key);
  }

  list(): Ban[] {
    const now = this.now();
    for (const [key, ban] of this.bans) if (ban.until <= now) this.bans.delete(key);
    return [...this.bans.values()].sort((a, b) => a.until - b.until);
  }
}

const keyOf = (kind: BanKind, value: string): string =>
  `${kind}:${kind === "nick" ? nickKey(value) : normalizeIp(value)}`;

export interface MemberView {
  nick: string;
  mode: string;
  ip: string;
  rooms: string[];
}

export interface ModerationOptions {
  hub: Hub<Session>;
  /** Every open connection on this node (for address bans). */
  connections: () => Iterable<ClientLink>;
  store: HistoryStore;
  broker: Broker;
  bans: Bans;
}

/**
 * What an administrator can see and do, on this node: rooms, members, kick, ban, delete.
 * The HTTP side (`src/http/admin.ts`) only parses, authorizes and calls these.
 */
export class Moderation {
  private readonly options: ModerationOptions;

  constructor(options: ModerationOptions) {
    this.options = options;
  }

  get bans(): Bans {
    return this.options.bans;
  }

  rooms(): Array<{ room: string; members: number }> {
    const { hub } = this.options;
    return hub
      .roomNames()
      .sort()
      .map((room) => ({ room, members: hub.membersOf(room).size }));
  }

  members(room: string): MemberView[] {
    return [...this.options.hub.membersOf(validateRoomName(room))]
      .map((member) => ({
        nick: member.nick,
        mode: member.mode,
        ip: normalizeIp(member.session.link.info.ip),
        rooms: [...member.rooms],
      }))
      .sort((a, b) => a.nick.localeCompare(b.nick));
  }

  /** Closes the nick's connections (all of a signed-in user's) with 4003 ("do not reconnect"); false when nobody holds it. */
  kick(nick: string): boolean {
    const members = this.options.hub.findAll(nick);
    for (const member of members) member.session.link.close(CLOSING.kicked);
    return members.length > 0;
  }

  /** Bans for `minutes` and closes whoever it covers with 4004; returns the ban and how many were closed. */
  ban(kind: BanKind, value: string, minutes: number): { ban: Ban; closed: number } {
    const ban = this.options.bans.add(kind, value, minutes);
    const targets: ClientLink[] = [];
    if (kind === "nick") {
      for (const member of this.options.hub.findAll(value)) targets.push(member.session.link);
    } else {
      for (const conn of this.options.connections()) if (normalizeIp(conn.info.ip) === ban.value) targets.push(conn);
    }
    for (const conn of targets) conn.close(CLOSING.banned);
    return { ban, closed: targets.length };
  }

  /** The room's newest messages, or those before `before`. */
  messages(room: string, before: number | undefined, limit: number): Promise<ChatMessage[]> {
    const name = validateRoomName(room);
    return before === undefined
      ? this.options.store.latest(name, limit)
      : this.options.store.before(name, before, limit);
  }

  /** Removes a message from history and from the views of connected JSON clients (`delete` event). */
  async deleteMessage(room: string, seq: number): Promise<boolean> {
    const name = validateRoomName(room);
    // The same tombstone as an author's delete: a change event in the room's order, the text gone.
    const change = { kind: "delete", target: seq, admin: true } as const;
    const result = await this.options.store.append({ room: name, nick: "admin", text: "", ts: Date.now(), change });
    if (result.refused) return false;
    if (!result.duplicate) await this.options.broker.publish(name, { type: "message", message: result.message });
    return true;
  }
}
