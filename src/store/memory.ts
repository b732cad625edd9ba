import type { ChatMessage, NewMessage } from "../chat/message.ts";
import {
  type AppendResult,
  type HistoryStore,
  partBytes,
  type Retention,
  type RoomBounds,
  repeatOf,
  stored,
  storedMessage,
} from "./history-store.ts";

interface RoomLog {
  lastSeq: number;
  messages: ChatMessage[];
  byCid: Map<string, ChatMessage>;
  cidOf: WeakMap<ChatMessage, string>;
}

/** History in memory: for tests and `--store memory`. Gone when the process ends. */
export class MemoryStore implements HistoryStore {
  private readonly rooms = new Map<string, RoomLog>();

  constructor(private readonly retention: Retention = { maxMessagesPerRoom: 0, maxAgeMs: 0 }) {}

  append(input: NewMessage): Promise<AppendResult> {
    const log = this.log(input.room);
    const earlier = input.cid === undefined ? undefined : log.byCid.get(input.cid);
    if (earlier) return Promise.resolve(repeatOf(earlier, input));
    log.lastSeq += 1;
    const message = storedMessage(input, log.lastSeq);
    log.messages.push(message);
    if (input.cid !== undefined) {
      log.byCid.set(input.cid, message);
      log.cidOf.set(message, input.cid);
    }
    this.prune(log, input.ts);
    return Promise.resolve(stored(message));
  }

  latest(room: string, limit: number): Promise<ChatMessage[]> {
    const messages = this.rooms.get(room)?.messages ?? [];
    return Promise.resolve(limit <= 0 ? [] : messages.slice(-limit));
  }

  after(room: string, after: number, limit: number): Promise<ChatMessage[]> {
    const messages = this.rooms.get(room)?.messages ?? [];
    const start = messages.findIndex((m) => m.seq > after);
    return Promise.resolve(start < 0 ? [] : messages.slice(start, start + limit));
  }

  before(room: string, before: number, limit: number): Promise<ChatMessage[]> {
    const older = (this.rooms.get(room)?.messages ?? []).filter((m) => m.seq < before);
    return Promise.resolve(limit <= 0 ? [] : older.slice(-limit));
  }

  pageStart(room: string, before: number, limit: number): Promise<number> {
    if (limit <= 0) return Promise.resolve(0);
    const older = (this.rooms.get(room)?.messages ?? []).filter((m) => m.seq < before);
    return Promise.resolve(older.at(-Math.min(limit, older.length))?.seq ?? 0);
  }

  part(room: string, after: number, until: number, limit: number, maxBytes: number): Promise<ChatMessage[]> {
    const messages = this.rooms.get(room)?.messages ?? [];
    const rows: ChatMessage[] = [];
    let bytes = 0;
    for (const m of messages) {
      if (m.seq <= after) continue;
      if (m.seq >= until || rows.length >= limit) break;
      bytes += partBytes(Buffer.byteLength(m.text));
      if (bytes > maxBytes && rows.length > 0) break;
      rows.push(m);
    }
    return Promise.resolve(rows);
  }

  bounds(room: string): Promise<RoomBounds> {
    const log = this.rooms.get(room);
    return Promise.resolve({ first: log?.messages[0]?.seq ?? 0, last: log?.lastSeq ?? 0 });
  }

  delete(room: string, seq: number): Promise<boolean> {
    const log = this.rooms.get(room);
    const index = log ? log.messages.findIndex((m) => m.seq === seq) : -1;
    if (!log || index < 0) return Promise.resolve(false);
    log.messages.splice(index, 1);
    return Promise.resolve(true);
  }

  /** Every stored message, room by room in seq order (what `MemorySearch` looks through). */
  *messages(): IterableIterator<ChatMessage> {
    for (const log of this.rooms.values()) yield* log.messages;
  }

  ping(): Promise<void> {
    return Promise.resolve();
  }

  probeWrite(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  private log(room: string): RoomLog {
    let log = this.rooms.get(room);
    if (!log) {
      log = { lastSeq: 0, messages: [], byCid: new Map(), cidOf: new WeakMap() };
      this.rooms.set(room, log);
    }
    return log;
  }

  private prune(log: RoomLog, now: number): void {
    const { maxMessagesPerRoom, maxAgeMs } = this.retention;
    let drop = 0;
    if (maxMessagesPerRoom > 0) drop = Math.max(0, log.messages.length - maxMessagesPerRoom);
    if (maxAgeMs > 0) {
      while (drop < log.messages.length && (log.messages[drop]?.ts ?? now) < now - maxAgeMs) drop++;
    }
    for (const gone of drop > 0 ? log.messages.splice(0, drop) : []) {
      const cid = log.cidOf.get(gone);
      if (cid !== undefined) log.byCid.delete(cid);
    }
  }
}
