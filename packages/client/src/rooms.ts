import type { Outbox } from "./outbox.ts";
import { type JoinOptions, Room, type RoomHost } from "./room.ts";
import type { ParleyServerError, Timers } from "./types.ts";
import type { SdkEvent, SdkFrame } from "./wire.ts";

/** Join errors after which joining again cannot help. */
const JOIN_FATAL = new Set(["bad_room", "too_many_rooms", "forbidden", "bad_request"]);

type RoomEvent = Extract<
  SdkEvent,
  { type: "message" | "history" | "joined" | "presence" | "delete" | "edit" | "react" | "left" }
>;

export interface RoomSetHost {
  transmit(frame: SdkFrame): boolean;
  /** A token for "this connection": a retry scheduled on one connection must not fire on the next. */
  connection(): unknown;
  outbox: Outbox;
  retryDelay(): number;
  timers: Timers;
}

/** The rooms the app has joined, and those being left: joins, rejoins after a reconnect, leaves, refusals. */
export class RoomSet {
  private readonly rooms = new Map<string, Room>();
  private readonly leaving = new Map<string, { room: Room; done(): void }>();

  private readonly host: RoomSetHost;

  constructor(host: RoomSetHost) {
    this.host = host;
  }

  get(name: string): Room | undefined {
    return this.rooms.get(name);
  }

  /** True while `room` is the joined handle of its name. */
  has(room: Room): boolean {
    return this.rooms.get(room.name) === room;
  }

  join(name: string, roomHost: RoomHost, options: JoinOptions, online: boolean): Room {
    const existing = this.rooms.get(name);
    if (existing) return existing;
    const room = new Room(name, roomHost, options);
    this.rooms.set(name, room);
    if (online) this.host.transmit(room.joinFrame());
    return room;
  }

  leave(room: Room, online: boolean): Promise<void> {
    if (!this.has(room)) return Promise.resolve();
    this.rooms.delete(room.name);
    this.host.outbox.failRoom(room, new Error(`Left ${room.name} before the message was acknowledged.`));
    if (!online || room.state === "offline") {
      room.handleLeft();
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.leaving.set(room.name, { room, done: resolve });
      this.host.transmit({ type: "leave", room: room.name });
    });
  }

  /** A new connection: every room again, each from its last seq. */
  rejoinAll(): void {
    for (const room of this.rooms.values()) this.host.transmit(room.joinFrame());
  }

  handle(event: RoomEvent): void {
    if (event.type !== "left") {
      this.rooms.get(event.room)?.handleEvent(event);
      return;
    }
    const leaving = this.leaving.get(event.room);
    this.leaving.delete(event.room);
    if (leaving) {
      leaving.room.handleLeft();
      leaving.done();
      return;
    }
    // Not asked for: the server put us out (e.g. a refreshed token no longer grants a private room).
    const room = this.rooms.get(event.room);
    if (room) this.drop(room, new Error(`Put out of ${room.name} by the server.`));
  }

  /** A server error about a room; false when it names no room of ours. */
  refused(error: ParleyServerError): boolean {
    const room = error.room !== undefined ? this.rooms.get(error.room) : undefined;
    if (!room) return false;
    room.handleError(error);
    if (room.state !== "joining") return true;
    if (JOIN_FATAL.has(error.code)) {
      this.drop(room, error);
      return true;
    }
    // The server could not read the history and dropped the join: try again later on this connection.
    const connection = this.host.connection();
    this.host.timers.setTimeout(() => {
      if (connection !== undefined && this.host.connection() === connection && this.has(room)) {
        this.host.transmit(room.joinFrame());
        this.host.outbox.resendRoom(room);
      }
    }, this.host.retryDelay());
    return true;
  }

  /** The connection is gone: rooms wait offline; leaves are done (the server forgets them with it). */
  offline(): void {
    for (const room of this.rooms.values()) room.handleOffline();
    for (const { room, done } of this.leaving.values()) {
      room.handleLeft();
      done();
    }
    this.leaving.clear();
  }

  private drop(room: Room, error: Error): void {
    this.rooms.delete(room.name);
    this.host.outbox.failRoom(room, error);
    room.handleLeft();
  }
}
