import type { RoomEvent } from "../broker/broker.ts";
import { ParleyError } from "../chat/errors.ts";
import type { RoomAccess } from "../chat/identity.ts";
import { validateRoomName } from "../chat/room-name.ts";
import type { RoomBounds } from "../store/history-store.ts";
import type { ReadPositions } from "../store/user-store.ts";
import type { Session } from "./session.ts";
import { forbidden, userChannel } from "./users.ts";

/**
 * Where an unread count stops: counting is a read on the store (on SQLite's main thread), and a room
 * left unread for months must not cost one in proportion to its history.
 */
export const UNREAD_COUNT_LIMIT = 10_000;

/** What the read-position relay uses of the service. */
export interface ReadsHost {
  /** The room's first and last seq in the history store. */
  bounds(room: string): Promise<RoomBounds>;
  /** Messages (change events left out) with `after` < seq <= `upTo`: what is unread, up to `UNREAD_COUNT_LIMIT`. */
  countMessages(room: string, after: number, upTo: number): Promise<number>;
  /** Publishes on the broker without waiting; a failure is reported. */
  publish(channel: string, event: RoomEvent): void;
  /** A signed-in user's sessions on this node. */
  sessionsOf(user: string): Session[];
}

/**
 * Where each signed-in user stands in each room: `read` moves it (durably, in the history's
 * database), every connection of the user hears it on every node, and `welcome`/`joined` carry
 * the unread counts it gives.
 */
export class ReadPositionRelay {
  private readonly host: ReadsHost;
  private readonly positions: ReadPositions;
  private readonly access: RoomAccess;

  constructor(host: ReadsHost, positions: ReadPositions, access: RoomAccess) {
    this.host = host;
    this.positions = positions;
    this.access = access;
  }

  /** For the welcome: unread counts of the rooms the user has a position in (and may enter). */
  async unreadByRoom(session: Session): Promise<Record<string, number> | undefined> {
    const identity = session.identity;
    if (!identity) return undefined;
    try {
      const positions = await this.positions.readPositions(identity.id);
      session.reads = positions;
      const unread: Record<string, number> = {};
      for (const [room, position] of positions) {
        if (this.access.mayEnter(identity, room)) {
          unread[room] = await this.host.countMessages(room, position, Number.MAX_SAFE_INTEGER);
        }
      }
      return unread;
    } catch {
      session.reads ??= new Map();
      return undefined;
    }
  }

  /** For `joined`: a signed-in user's unread messages in the room up to `lastSeq` (later ones reach it live). */
  async joinedUnread(session: Session, room: string, lastSeq: number): Promise<number | undefined> {
    if (!session.identity) return undefined;
    return this.host.countMessages(room, session.reads?.get(room) ?? 0, lastSeq);
  }

  /** `{"type":"read","room","seq"}`: forward only, at most to the room's last seq. */
  async read(session: Session, rawRoom: string, seq: number): Promise<void> {
    const identity = session.identity;
    if (!identity) {
      const error = new ParleyError("unauthorized", "Read positions are kept for signed-in users.");
      session.fail(error, { room: rawRoom });
      return;
    }
    try {
      const room = validateRoomName(rawRoom);
      if (!this.access.mayEnter(identity, room)) throw forbidden(room);
      let position: number;
      let unread: number;
      try {
        const bounds = await this.host.bounds(room);
        position = await this.positions.markRead(identity.id, room, Math.min(seq, bounds.last));
        unread = await this.host.countMessages(room, position, bounds.last);
      } catch {
        throw new ParleyError("store_unavailable", "The read position could not be saved; send it again.");
      }
      const event = { type: "read", user: identity.id, room, seq: position, unread } as const;
      this.host.publish(userChannel(identity.id), event);
    } catch (error) {
      session.fail(error, { room: rawRoom });
    }
  }

  /** A read position moved (on any node): every connection of the user here hears it. */
  moved(event: { user: string; room: string; seq: number; unread: number }): void {
    for (const session of this.host.sessionsOf(event.user)) {
      const reads = session.reads ?? new Map<string, number>();
      session.reads = reads;
      reads.set(event.room, Math.max(reads.get(event.room) ?? 0, event.seq));
      // A connection whose own token does not grant a private room hears nothing of it.
      if (session.member.mode !== "json" || !this.access.mayEnter(session.identity, event.room)) continue;
      session.reply({ type: "read", room: event.room, seq: event.seq, unread: event.unread });
    }
  }
}
