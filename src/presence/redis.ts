import { createHash } from "node:crypto";
import { Redis } from "ioredis";
import { redisOptions, withTimeout } from "../broker/redis.ts";
import type { PresenceEvent } from "../chat/hub.ts";
import { nickKey } from "../chat/nick.ts";
import { type LocalMember, type Presence, type Reclaimed, userOwner } from "./presence.ts";

export interface RedisPresenceOptions {
  url: string;
  prefix: string;
  nodeId: string;
  /** A node silent this long is dead: its members are announced as left. */
  nodeTimeoutMs: number;
  log?: (line: string) => void;
}

/** A presence call waits this long for Redis; then the node carries on with what it knows. */
const CALL_TIMEOUT_MS = 2000;

// Deletes a nickname (and its reconnect key hash) only when it still holds the given owner: given up by its holder only.
const RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1], KEYS[2]) end return 0";

// A reconnected client takes its nickname back: free, already its own, or held by an owner whose
// reconnect key hash (KEYS[2]) is the proof. Returns {1, previous owner or ''}, or {0, ''} when refused.
const RECLAIM = `
local holder = redis.call('get', KEYS[1])
if holder and holder ~= ARGV[1] and redis.call('get', KEYS[2]) ~= ARGV[2] then return {0, ''} end
redis.call('set', KEYS[1], ARGV[1])
redis.call('set', KEYS[2], ARGV[3])
if holder and holder ~= ARGV[1] then return {1, holder} end
return {1, ''}`;

// A signed-in user's connection enters a room: one person, however many connections (on any node).
// Returns 1 when it is the person's first there (announce a join).
const JOIN_USER = `
local added = redis.call('sadd', KEYS[1], ARGV[1])
redis.call('hset', KEYS[2], ARGV[2], ARGV[3])
if added == 1 and redis.call('scard', KEYS[1]) == 1 then return 1 end
return 0`;
// Returns 1 when the user's last connection left the room (announce a leave).
const LEAVE_USER = `
if redis.call('srem', KEYS[1], ARGV[1]) == 1 and redis.call('scard', KEYS[1]) == 0 then
  redis.call('hdel', KEYS[2], ARGV[2])
  return 1
end
return 0`;

/** A user id as it appears in keys: hashed, so no application id reaches Redis key names. */
const userTag = (user: string): string => createHash("sha256").update(user).digest("hex").slice(0, 32);

/**
 * Presence across nodes in Redis:
 *   {p}members:{room}   hash  owner → nick        who is in the room, on every node
 *                                                 (a signed-in user: `u:{tag}` → nick, one field per person)
 *   {p}holders:{room}:{tag} set of owners         a signed-in user's connections in the room, on every node
 *   {p}nick:{key}       string owner               a nickname's holder (SET NX: one holder)
 *   {p}nick-key:{key}   string sha256              the hash of that holder's reconnect key (anonymous JSON clients)
 *   {p}alive:{node}     string, TTL nodeTimeout     the node's heartbeat, renewed every third of it
 *   {p}nodes            set of node ids; {p}node-rooms:{node}, {p}node-nicks:{node}: what to clean
 * Every node sweeps: a node whose heartbeat expired has its entries removed by the one survivor
 * that wins `SET {p}sweep:{node} NX`, which reports the leaves for the service to announce.
 * Owners are `node:member`, so everything a node held can be found and removed.
 */
export class RedisPresence implements Presence {
  private readonly redis: Redis;
  private readonly p: string;
  private goneHandler: (gone: PresenceEvent[]) => void = () => {};
  private localMembers: () => LocalMember[] = () => [];
  private readonly timer: NodeJS.Timeout;
  private readyOnce = false;
  private closed = false;
  /** Presence calls that failed (Redis away); the node served on from its own view. */
  failures = 0;

  private readonly options: RedisPresenceOptions;

  constructor(options: RedisPresenceOptions) {
    this.options = options;
    this.p = options.prefix;
    this.redis = new Redis(options.url, redisOptions({ connectionName: `parley-presence-${options.nodeId}` }));
    this.redis.on("error", () => {}); // the broker reports the link; calls here fail and are counted
    this.redis.on("ready", () => void this.onReady());
    const beat = Math.max(50, Math.floor(options.nodeTimeoutMs / 3));
    this.timer = setInterval(() => void this.tick(), beat);
    this.timer.unref();
  }

  claimNick(nick: string, owner: string, keyHash?: string): Promise<boolean> {
    const key = nickKey(nick);
    const claim = `${this.p}nick:${key}`;
    return this.call(async () => {
      const taken = await this.redis.set(claim, owner, "NX");
      if (taken !== "OK" && (await this.redis.get(claim)) !== owner) return false;
      const noted = this.redis.multi().sadd(`${this.p}node-nicks:${this.options.nodeId}`, key);
      if (keyHash !== undefined) noted.set(`${this.p}nick-key:${key}`, keyHash);
      await noted.exec();
      return true;
    }, true);
  }

  reclaimNick(nick: string, owner: string, proof: string, keyHash: string): Promise<Reclaimed | undefined> {
    const key = nickKey(nick);
    return this.call(async () => {
      const [won, holder] = (await this.redis.eval(
        RECLAIM,
        2,
        `${this.p}nick:${key}`,
        `${this.p}nick-key:${key}`,
        owner,
        proof,
        keyHash,
      )) as [number, string];
      if (won !== 1) return undefined;
      await this.redis.sadd(`${this.p}node-nicks:${this.options.nodeId}`, key);
      if (holder === "") return { previous: undefined, rooms: [] };
      return { previous: holder, rooms: await this.removeEntries(holder) };
    }, undefined);
  }

  /** Takes one owner out of every room its node had members in; returns the rooms it was in. */
  private async removeEntries(owner: string): Promise<string[]> {
    const node = owner.slice(0, owner.lastIndexOf(":"));
    const rooms = await this.redis.smembers(`${this.p}node-rooms:${node}`);
    if (rooms.length === 0) return [];
    const removal = this.redis.multi();
    for (const room of rooms) removal.hdel(`${this.p}members:${room}`, owner);
    const results = (await removal.exec()) ?? [];
    return rooms.filter((_, i) => results[i]?.[1] === 1);
  }

  releaseNick(nick: string, owner: string): Promise<void> {
    const key = nickKey(nick);
    return this.call(async () => {
      await this.redis.eval(RELEASE, 2, `${this.p}nick:${key}`, `${this.p}nick-key:${key}`, owner);
      await this.redis.srem(`${this.p}node-nicks:${this.options.nodeId}`, key);
    }, undefined);
  }

  join(room: string, owner: string, nick: string, user?: string): Promise<boolean> {
    return this.call(async () => {
      const members = `${this.p}members:${room}`;
      await this.redis.sadd(`${this.p}node-rooms:${this.options.nodeId}`, room);
      if (user === undefined) {
        await this.redis.hset(members, owner, nick);
        return true;
      }
      const tag = userTag(user);
      const first = await this.redis.eval(
        JOIN_USER,
        2,
        `${this.p}holders:${room}:${tag}`,
        members,
        owner,
        `u:${tag}`,
        nick,
      );
      return first === 1;
    }, true);
  }

  leave(room: string, owner: string, user?: string): Promise<boolean> {
    return this.call(async () => {
      const members = `${this.p}members:${room}`;
      if (user === undefined) {
        await this.redis.hdel(members, owner);
        return true;
      }
      const tag = userTag(user);
      const last = await this.redis.eval(LEAVE_USER, 2, `${this.p}holders:${room}:${tag}`, members, owner, `u:${tag}`);
      return last === 1;
    }, true);
  }

  async members(room: string): Promise<string[]> {
    return withTimeout(this.redis.hvals(`${this.p}members:${room}`), CALL_TIMEOUT_MS, "Redis presence");
  }

  onGone(handler: (gone: PresenceEvent[]) => void): void {
    this.goneHandler = handler;
  }

  setLocalMembers(list: () => LocalMember[]): void {
    this.localMembers = list;
  }

  async ping(): Promise<void> {
    await withTimeout(this.redis.ping(), 1000, "Redis presence is not answering");
  }

  /** Leaves the cluster cleanly: this node's entries go now, not after the timeout. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    try {
      await withTimeout(this.removeNode(this.options.nodeId), 1000, "presence cleanup");
      await withTimeout(this.redis.quit(), 1000, "quit");
    } catch {
      this.redis.disconnect();
    }
  }

  private async call<T>(work: () => Promise<T>, fallback: T): Promise<T> {
    try {
      return await withTimeout(work(), CALL_TIMEOUT_MS, "Redis presence");
    } catch {
      this.failures++;
      return fallback;
    }
  }

  /** Connected (again): after a Redis restart its state is gone, so this node's members are registered anew. */
  private async onReady(): Promise<void> {
    const first = !this.readyOnce;
    this.readyOnce = true;
    await this.beat().catch(() => {});
    if (!first) await this.reassert().catch(() => {});
  }

  /** Registers every local member again; if survivors swept this node meanwhile, announces them back. */
  private async reassert(): Promise<void> {
    const sweptKey = `${this.p}swept:${this.options.nodeId}`;
    const swept = (await this.redis.del(sweptKey)) === 1;
    const rejoined: PresenceEvent[] = [];
    for (const member of this.localMembers()) {
      const owner = member.user === undefined ? member.owner : userOwner(member.user);
      await this.claimNick(member.nick, owner, member.keyHash);
      for (const room of member.rooms) {
        const first = await this.join(room, member.owner, member.nick, member.user);
        if (swept && first) rejoined.push({ room, action: "join", nick: member.nick });
      }
    }
    if (rejoined.length > 0) this.goneHandler(rejoined);
  }

  private async beat(): Promise<void> {
    const node = this.options.nodeId;
    await this.redis
      .multi()
      .set(`${this.p}alive:${node}`, String(Date.now()), "PX", this.options.nodeTimeoutMs)
      .sadd(`${this.p}nodes`, node)
      .exec();
  }

  private async tick(): Promise<void> {
    if (this.closed || this.redis.status !== "ready") return;
    try {
      await this.beat();
      // Swept while alive (this process stalled past the timeout): come back.
      if ((await this.redis.exists(`${this.p}swept:${this.options.nodeId}`)) === 1) await this.reassert();
      const nodes = await this.redis.smembers(`${this.p}nodes`);
      for (const node of nodes) {
        if (node === this.options.nodeId) continue;
        if ((await this.redis.exists(`${this.p}alive:${node}`)) === 1) continue;
        const mine = await this.redis.set(
          `${this.p}sweep:${node}`,
          this.options.nodeId,
          "PX",
          this.options.nodeTimeoutMs,
          "NX",
        );
        if (mine !== "OK") continue;
        const gone = await this.removeNode(node);
        await this.redis.set(`${this.p}swept:${node}`, "1", "PX", this.options.nodeTimeoutMs * 10);
        if (gone.length > 0) this.goneHandler(gone);
      }
    } catch {
      this.failures++;
    }
  }

  /** Removes every entry a node held; returns one leave per member and room. */
  private async removeNode(node: string): Promise<PresenceEvent[]> {
    const tag = `${node}:`;
    const gone: PresenceEvent[] = [];
    const rooms = await this.redis.smembers(`${this.p}node-rooms:${node}`);
    for (const room of rooms) {
      const members = await this.redis.hgetall(`${this.p}members:${room}`);
      // Signed-in users: the node's connections go; the person leaves when none is left anywhere.
      for (const field of Object.keys(members).filter((f) => f.startsWith("u:"))) {
        const holders = `${this.p}holders:${room}:${field.slice(2)}`;
        for (const owner of await this.redis.smembers(holders)) {
          if (!owner.startsWith(tag)) continue;
          const last = await this.redis.eval(LEAVE_USER, 2, holders, `${this.p}members:${room}`, owner, field);
          if (last === 1) gone.push({ room, action: "leave", nick: members[field] as string });
        }
      }
      const owners = Object.keys(members).filter((owner) => owner.startsWith(tag));
      if (owners.length === 0) continue;
      await this.redis.hdel(`${this.p}members:${room}`, ...owners);
      for (const owner of owners) gone.push({ room, action: "leave", nick: members[owner] as string });
    }
    const nicks = await this.redis.smembers(`${this.p}node-nicks:${node}`);
    for (const key of nicks) {
      const holder = await this.redis.get(`${this.p}nick:${key}`);
      if (holder?.startsWith(tag)) {
        await this.redis.eval(RELEASE, 2, `${this.p}nick:${key}`, `${this.p}nick-key:${key}`, holder);
      }
    }
    await this.redis
      .multi()
      .del(`${this.p}node-rooms:${node}`, `${this.p}node-nicks:${node}`, `${this.p}alive:${node}`)
      .srem(`${this.p}nodes`, node)
      .exec();
    return gone;
  }
}
