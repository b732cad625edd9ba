import { nickKey } from "../chat/nick.ts";
import type { UserStore } from "./user-store.ts";

/** Read positions, reserved names and room privacy in memory: with `--store memory`. */
export class MemoryUserStore implements UserStore {
  private readonly positions = new Map<string, Map<string, number>>();
  private readonly names = new Map<string, string>();
  private readonly privacy = new Map<string, boolean>();
  private readonly mentions = new Map<string, Map<string, Set<number>>>();
  private readonly joined = new Map<string, Set<string>>();

  joinedRooms(user: string): Promise<string[]> {
    return Promise.resolve([...(this.joined.get(user) ?? [])]);
  }

  setJoined(user: string, room: string, joined: boolean): Promise<void> {
    const rooms = this.joined.get(user) ?? new Set<string>();
    if (joined) this.joined.set(user, rooms.add(room));
    else rooms.delete(room);
    return Promise.resolve();
  }

  addMention(user: string, room: string, seq: number): Promise<void> {
    let rooms = this.mentions.get(user);
    if (!rooms) {
      rooms = new Map();
      this.mentions.set(user, rooms);
    }
    const seqs = rooms.get(room) ?? new Set<number>();
    rooms.set(room, seqs.add(seq));
    return Promise.resolve();
  }

  mentionCounts(user: string): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    for (const [room, seqs] of this.mentions.get(user) ?? []) {
      const read = this.positions.get(user)?.get(room) ?? 0;
      const count = [...seqs].filter((seq) => seq > read).length;
      if (count > 0) counts.set(room, count);
    }
    return Promise.resolve(counts);
  }

  start(): Promise<void> {
    return Promise.resolve();
  }

  roomPrivacy(): Promise<Map<string, boolean>> {
    return Promise.resolve(new Map(this.privacy));
  }

  setRoomPrivacy(room: string, isPrivate: boolean): Promise<void> {
    this.privacy.set(room, isPrivate);
    return Promise.resolve();
  }

  readPositions(user: string): Promise<Map<string, number>> {
    return Promise.resolve(new Map(this.positions.get(user)));
  }

  markRead(user: string, room: string, seq: number): Promise<number> {
    let rooms = this.positions.get(user);
    if (!rooms) {
      rooms = new Map();
      this.positions.set(user, rooms);
    }
    const position = Math.max(rooms.get(room) ?? 0, seq);
    rooms.set(room, position);
    return Promise.resolve(position);
  }

  reserveName(user: string, name: string): Promise<string> {
    const key = nickKey(name);
    const owner = this.names.get(key) ?? user;
    this.names.set(key, owner);
    return Promise.resolve(owner);
  }

  nameOwner(name: string): Promise<string | undefined> {
    return Promise.resolve(this.names.get(nickKey(name)));
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
