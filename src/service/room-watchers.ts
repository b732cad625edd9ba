import type { RoomEvent } from "../broker/broker.ts";

export type RoomWatcher = (event: RoomEvent) => void;

/**
 * Listeners of a room's events that are not chat members (server-sent event streams of the HTTP
 * API). They keep the room's broker subscription alive while the room has no member on this node.
 */
export class RoomWatchers {
  private readonly byRoom = new Map<string, Set<RoomWatcher>>();

  has(room: string): boolean {
    return this.byRoom.has(room);
  }

  /** Adds `watcher`; returns a function that removes it and tells whether the room has no watcher left. */
  add(room: string, watcher: RoomWatcher): () => boolean {
    let set = this.byRoom.get(room);
    if (!set) {
      set = new Set();
      this.byRoom.set(room, set);
    }
    set.add(watcher);
    return () => {
      const current = this.byRoom.get(room);
      if (!current?.delete(watcher)) return false;
      if (current.size > 0) return false;
      this.byRoom.delete(room);
      return true;
    };
  }

  notify(room: string, event: RoomEvent): void {
    const set = this.byRoom.get(room);
    if (set) for (const watcher of set) watcher(event);
  }
}
