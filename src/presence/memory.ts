import { nickKey } from "../chat/nick.ts";
import type { Presence } from "./presence.ts";

/** One node's presence, in memory: the default. Nobody else can be here, so nobody dies. */
export class MemoryPresence implements Presence {
  private readonly nicks = new Map<string, string>();
  private readonly rooms = new Map<string, Map<string, string>>();

  claimNick(nick: string, owner: string): Promise<boolean> {
    const key = nickKey(nick);
    const holder = this.nicks.get(key);
    if (holder !== undefined && holder !== owner) return Promise.resolve(false);
    this.nicks.set(key, owner);
    return Promise.resolve(true);
  }

  releaseNick(nick: string, owner: string): Promise<void> {
    const key = nickKey(nick);
    if (this.nicks.get(key) === owner) this.nicks.delete(key);
    return Promise.resolve();
  }

  join(room: string, owner: string, nick: string): Promise<void> {
    let members = this.rooms.get(room);
    if (!members) {
      members = new Map();
      this.rooms.set(room, members);
    }
    members.set(owner, nick);
    return Promise.resolve();
  }

  leave(room: string, owner: string): Promise<void> {
    const members = this.rooms.get(room);
    members?.delete(owner);
    if (members?.size === 0) this.rooms.delete(room);
    return Promise.resolve();
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
