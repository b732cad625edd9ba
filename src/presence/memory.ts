import { nickKey } from "../chat/nick.ts";
import type { Presence, Reclaimed } from "./presence.ts";

/** One node's presence, in memory: the default. Nobody else can be here, so nobody dies. */
export class MemoryPresence implements Presence {
  /** nickname key → its holder, and the hash of the holder's reconnect key */
  private readonly nicks = new Map<string, { owner: string; keyHash: string | undefined }>();
  /** room → person (owner, or `u:<user>`) → nick */
  private readonly rooms = new Map<string, Map<string, string>>();
  /** room → user → the owners (connections) of that user there */
  private readonly holders = new Map<string, Map<string, Set<string>>>();

  claimNick(nick: string, owner: string, keyHash?: string): Promise<boolean> {
    const key = nickKey(nick);
    const holder = this.nicks.get(key);
    if (holder !== undefined && holder.owner !== owner) return Promise.resolve(false);
    this.nicks.set(key, { owner, keyHash: keyHash ?? holder?.keyHash });
    return Promise.resolve(true);
  }

  reclaimNick(nick: string, owner: string, proof: string, keyHash: string): Promise<Reclaimed | undefined> {
    const key = nickKey(nick);
    const holder = this.nicks.get(key);
    if (holder !== undefined && holder.owner !== owner && holder.keyHash !== proof) return Promise.resolve(undefined);
    this.nicks.set(key, { owner, keyHash });
    const previous = holder === undefined || holder.owner === owner ? undefined : holder.owner;
    const rooms: string[] = [];
    if (previous !== undefined) {
      for (const [room, members] of this.rooms) {
        if (!members.delete(previous)) continue;
        rooms.push(room);
        if (members.size === 0) this.rooms.delete(room);
      }
    }
    return Promise.resolve({ previous, rooms });
  }

  releaseNick(nick: string, owner: string): Promise<void> {
    const key = nickKey(nick);
    if (this.nicks.get(key)?.owner === owner) this.nicks.delete(key);
    return Promise.resolve();
  }

  join(room: string, owner: string, nick: string, user?: string): Promise<boolean> {
    let members = this.rooms.get(room);
    if (!members) {
      members = new Map();
      this.rooms.set(room, members);
    }
    if (user === undefined) {
      members.set(owner, nick);
      return Promise.resolve(true);
    }
    members.set(`u:${user}`, nick);
    let users = this.holders.get(room);
    if (!users) {
      users = new Map();
      this.holders.set(room, users);
    }
    let owners = users.get(user);
    if (!owners) {
      owners = new Set();
      users.set(user, owners);
    }
    const first = owners.size === 0;
    owners.add(owner);
    return Promise.resolve(first);
  }

  leave(room: string, owner: string, user?: string): Promise<boolean> {
    const members = this.rooms.get(room);
    let gone = true;
    if (user === undefined) members?.delete(owner);
    else {
      const users = this.holders.get(room);
      const owners = users?.get(user);
      gone = owners?.delete(owner) === true && owners.size === 0;
      if (gone) {
        users?.delete(user);
        if (users?.size === 0) this.holders.delete(room);
        members?.delete(`u:${user}`);
      }
    }
    if (members?.size === 0) this.rooms.delete(room);
    return Promise.resolve(gone);
  }

  members(room: string): Promise<string[]> {
    return Promise.resolve([...(this.rooms.get(room)?.values() ?? [])]);
  }

  onGone(): void {
    // one node: when it dies, everybody in it goes with it
  }

  setLocalMembers(): void {
    // nothing is ever lost here
  }

  ping(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
