import type { ChatMessage } from "../../chat/message.ts";
import type { RoomSub } from "../session.ts";

/**
 * The backlog of every sub that went live: nothing is kept for it any more, so all share one
 * empty array instead of holding one each for as long as they stay (frozen: a push would throw).
 */
const LIVE: ChatMessage[] = Object.freeze([]) as unknown as ChatMessage[];

/** Per room, the subs still catching up on history: live messages are kept aside for them. */
export class LiveBacklogs {
  private readonly rooms = new Map<string, Set<RoomSub>>();

  track(room: string, sub: RoomSub): void {
    let set = this.rooms.get(room);
    if (!set) {
      set = new Set();
      this.rooms.set(room, set);
    }
    set.add(sub);
  }

  /** The sub left (or its connection closed) before it went live. */
  forget(room: string, sub: RoomSub): void {
    const set = this.rooms.get(room);
    set?.delete(sub);
    if (set?.size === 0) this.rooms.delete(room);
  }

  /** Caught up: live messages now go straight to it. */
  goLive(room: string, sub: RoomSub): void {
    sub.live = true;
    sub.backlog = LIVE;
    this.forget(room, sub);
  }

  /** A live message: kept for every sub of its room still catching up. */
  keep(message: ChatMessage): void {
    const waiting = this.rooms.get(message.room);
    if (waiting) for (const sub of waiting) sub.backlog.push(message);
  }
}
