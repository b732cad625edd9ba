import type { ClientFrame } from "./protocol.ts";
import type { Room } from "./room.ts";
import { type Ack, ParleyServerError, type Timers } from "./types.ts";

/** Refusals that may pass if the same message is sent again later; any other (e.g. `cid_conflict`) is final. */
const TEMPORARY = new Set(["store_unavailable", "rate_limited", "internal"]);

export interface OutboxHost {
  transmit(frame: ClientFrame): void;
  /** True when the room's join has been sent on an open socket (so the server takes a send to it). */
  canSend(room: Room): boolean;
  retryDelay(attempt: number): number;
  timers: Timers;
}

/** What a room sends through the outbox: a message or a change, without its room and cid. */
export type OutFrame =
  | { type: "send"; text: string; replyTo?: number | undefined; file?: string | undefined }
  | { type: "edit"; seq: number; text: string }
  | { type: "delete"; seq: number }
  | { type: "react"; seq: number; emoji: string; on?: boolean | undefined };

interface Entry {
  cid: string;
  room: Room;
  frame: OutFrame;
  /** The frame as a string: a cid names one message or change. */
  text: string;
  promise: Promise<Ack>;
  resolve(ack: Ack): void;
  reject(error: Error): void;
  attempts: number;
  timer: unknown;
}

/**
 * A fresh client message id: the time in milliseconds (48 bits) then 80 random bits, as 32 hex
 * digits, so two clients never pick the same `cid` (the server de-duplicates by room and cid) and
 * a room's cids come in time order. The server indexes (room, cid): with wholly random cids each
 * new message dirtied a random page of that index in the commit, while these land at the room's
 * end, as its messages do (bench/results/profiles.md, "Time-ordered cids"). Use it to keep a send
 * across a page reload: `room.send(text, { cid })`.
 */
export const newCid = (): string => {
  const bytes = new Uint8Array(10);
  const crypto = (globalThis as { crypto?: { getRandomValues(a: Uint8Array): Uint8Array } }).crypto;
  if (crypto) crypto.getRandomValues(bytes);
  else for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(Math.random() * 256);
  const time = Date.now().toString(16).padStart(12, "0");
  return time + [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
};

/**
 * Sends waiting for their ack, in the order they were made. Each has a client message id (`cid`);
 * the server stores a (room, cid) once and acks a repeat with the same seq, so sending an entry
 * again after a reconnect can never store it twice.
 */
export class Outbox {
  private readonly entries = new Map<string, Entry>();

  private readonly host: OutboxHost;

  constructor(host: OutboxHost) {
    this.host = host;
  }

  get size(): number {
    return this.entries.size;
  }

  add(room: Room, frame: OutFrame, cid: string | undefined): Promise<Ack> {
    const id = cid ?? newCid();
    const text = JSON.stringify(frame);
    const existing = this.entries.get(id);
    if (existing && existing.room === room && existing.text === text) return existing.promise;
    // The server would refuse it too (cid_conflict): a cid names one message.
    if (existing) return Promise.reject(conflict(id, room));
    let resolve: (ack: Ack) => void = () => {};
    let reject: (error: Error) => void = () => {};
    const promise = new Promise<Ack>((ok, fail) => {
      resolve = ok;
      reject = fail;
    });
    // A send nobody awaits must not crash the process when it fails; the room's `error` event reports it.
    promise.catch(() => {});
    const entry: Entry = { cid: id, room, frame, text, promise, resolve, reject, attempts: 0, timer: undefined };
    this.entries.set(id, entry);
    this.transmit(entry);
    return promise;
  }

  acked(ack: Ack): void {
    const entry = this.entries.get(ack.cid);
    if (!entry) return;
    this.entries.delete(ack.cid);
    this.host.timers.clearTimeout(entry.timer);
    entry.resolve(ack);
  }

  /** An error naming one of our cids: retried later if temporary, else the send fails. False: not ours. */
  failed(error: ParleyServerError): boolean {
    const entry = error.cid !== undefined ? this.entries.get(error.cid) : undefined;
    if (!entry) return false;
    if (TEMPORARY.has(error.code)) {
      entry.attempts += 1;
      entry.timer = this.host.timers.setTimeout(() => {
        entry.timer = undefined;
        if (this.entries.get(entry.cid) === entry) this.transmit(entry);
      }, this.host.retryDelay(entry.attempts));
      return true;
    }
    this.entries.delete(entry.cid);
    entry.reject(error);
    entry.room.handleError(error);
    return true;
  }

  /** After (re)joining: everything still unacked goes again, oldest first. */
  resendAll(): void {
    for (const entry of this.entries.values()) this.transmit(entry);
  }

  resendRoom(room: Room): void {
    for (const entry of this.entries.values()) if (entry.room === room) this.transmit(entry);
  }

  /** The connection is gone: pending retries wait for the next one. */
  pause(): void {
    for (const entry of this.entries.values()) {
      this.host.timers.clearTimeout(entry.timer);
      entry.timer = undefined;
    }
  }

  failRoom(room: Room, error: Error): void {
    for (const entry of [...this.entries.values()]) {
      if (entry.room !== room) continue;
      this.entries.delete(entry.cid);
      this.host.timers.clearTimeout(entry.timer);
      entry.reject(error);
    }
  }

  failAll(error: Error): void {
    for (const entry of this.entries.values()) {
      this.host.timers.clearTimeout(entry.timer);
      entry.reject(error);
    }
    this.entries.clear();
  }

  private transmit(entry: Entry): void {
    if (!this.host.canSend(entry.room)) return;
    this.host.transmit({ ...entry.frame, room: entry.room.name, cid: entry.cid });
  }
}

const conflict = (cid: string, room: Room): ParleyServerError =>
  new ParleyServerError("cid_conflict", "This cid is already used by another message waiting to be sent.", {
    room: room.name,
    cid,
  });
