import type { Mode } from "../chat/hub.ts";
import { textFrames } from "../protocol/ws-frame.ts";

/** Something frames can be queued on: a connection. */
export interface Outlet {
  /** Queues a complete frame; `droppable` frames (presence) may be shed when the outlet is slow. */
  enqueue(frame: Buffer, droppable: boolean): void;
  /** Writes everything queued, in one syscall where the kernel allows. */
  flushWrites(): void;
}

/** Calls `visit` for every outlet that should get the room's live stream right now. */
export type RoomRecipients = (room: string, visit: (outlet: Outlet, mode: Mode) => void) => void;

/**
 * What one mode is told: the payload, or how to make it. A function is called only when the
 * room has a recipient in that mode at flush (a room of Cookbook clients never pays for JSON).
 */
export type Payload = string | (() => string);

interface RoomBatch {
  text: Payload[];
  json: Payload[];
  droppable: boolean;
}

/**
 * The fan-out writer. A room's events of one event-loop turn are framed once per mode (and
 * only for modes someone in the room speaks), into one buffer, and that same buffer is queued
 * on every recipient; then every outlet with something queued writes once. Per-recipient work
 * is a pointer push.
 */
export class Fanout {
  private readonly rooms = new Map<string, RoomBatch>();
  /** An array, not a Set: one push per recipient a turn, no hashing (this is the hot path). */
  private readonly dirty: Outlet[] = [];
  private scheduled = false;

  private readonly recipients: RoomRecipients;

  constructor(recipients: RoomRecipients) {
    this.recipients = recipients;
  }

  /** Queues one event for a room's members; `null` skips a mode (nothing to say to it). */
  toRoom(room: string, text: Payload | null, json: Payload | null, droppable = false): void {
    let batch = this.rooms.get(room);
    if (!batch) {
      batch = { text: [], json: [], droppable: true };
      this.rooms.set(room, batch);
    }
    if (text !== null) batch.text.push(text);
    if (json !== null) batch.json.push(json);
    batch.droppable &&= droppable;
    this.schedule();
  }

  /**
   * Marks an outlet as having frames queued; it is written at the end of the turn. Outlets
   * call this only when their queue goes from empty to not, so each is listed once a turn.
   */
  markDirty(outlet: Outlet): void {
    this.dirty.push(outlet);
    this.schedule();
  }

  /** Runs the turn's writes now (also used before a close, so nothing queued is lost). */
  flush(): void {
    this.scheduled = true; // whatever is queued while flushing joins this flush
    for (const [room, batch] of this.rooms) {
      // undefined: not framed yet (nobody in that mode seen so far); null: nothing to say to it
      let text: Buffer | null | undefined;
      let json: Buffer | null | undefined;
      this.recipients(room, (outlet, mode) => {
        let frame: Buffer | null;
        if (mode === "text") {
          if (text === undefined) text = framed(batch.text);
          frame = text;
        } else {
          if (json === undefined) json = framed(batch.json);
          frame = json;
        }
        if (frame) outlet.enqueue(frame, batch.droppable);
      });
    }
    this.rooms.clear();
    // By index: an outlet marked while this loop runs (queued on by another's write) is
    // written in this loop too. The array keeps its capacity from turn to turn.
    const dirty = this.dirty;
    for (let i = 0; i < dirty.length; i++) (dirty[i] as Outlet).flushWrites();
    dirty.length = 0;
    this.scheduled = false;
    if (this.rooms.size > 0) this.schedule();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }
}

const framed = (payloads: Payload[]): Buffer | null =>
  payloads.length === 0 ? null : textFrames(payloads.map((p) => (typeof p === "string" ? p : p())));
