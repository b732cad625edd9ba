import { applyChange, changeEvent, changeKey } from "../chat/conversation.ts";
import type { Change, ChatMessage, NewMessage } from "../chat/message.ts";
import {
  type AppendResult,
  type HistoryStore,
  partBytes,
  type Retention,
  type RoomBounds,
  refusal,
  repeatOf,
  stored,
  storedMessage,
} from "./history-store.ts";

interface RoomLog {
  lastSeq: number;
  messages: ChatMessage[];
  byCid: Map<string, ChatMessage>;
  /** The cid of each message or change event that had one, by seq (for pruning `byCid`): a Map of numbers, cheaper per append than a WeakMap. */
  cids: Map<number, string>;
  /** Owners of messages, by seq (never part of a message). */
  owners: Map<number, string>;
  /** The `changeKey` of each change event, for cid repeats. */
  changeKeys: WeakMap<ChatMessage, string>;
}

/** History in memory: for tests and `--store memory`. Gone when the process ends. */
export class MemoryStore implements HistoryStore {
  private readonly rooms = new Map<string, RoomLog>();

  private readonly retention: Retention;

  constructor(retention: Retention = { maxMessagesPerRoom: 0, maxAgeMs: 0 }) {
    this.retention = retention;
  }

  start(): Promise<void> {
    return Promise.resolve();
  }

  append(input: NewMessage): Promise<AppendResult> {
    const log = this.log(input.room);
    const earlier = input.cid === undefined ? undefined : log.byCid.get(input.cid);
    if (earlier) return Promise.resolve(repeatOf(present(log, earlier), input, log.changeKeys.get(earlier)));
    let message: ChatMessage;
    if (input.change) {
      const index = indexOf(log, input.change.target);
      const current = index < 0 ? undefined : log.messages[index];
      const target = current && { message: current, owner: log.owners.get(current.seq) };
      const outcome = applyChange(target, input.change, { nick: input.nick, owner: input.owner }, input.ts);
      if ("refused" in outcome) return Promise.resolve(refusal(input, outcome.refused));
      log.lastSeq += 1;
      log.messages[index] = outcome.state;
      const event = changeEvent(input.change, outcome, { ...input, seq: log.lastSeq, id: storedMessage(input, 0).id });
      // Kept with a stub of the message (no text): reads put in its current state; a delete leaves no text here.
      message = { ...event, change: { ...(event.change as Change), target: { ...outcome.state, text: "" } } };
      log.changeKeys.set(message, changeKey(input.change));
    } else {
      log.lastSeq += 1;
      message = storedMessage(input, log.lastSeq);
      if (input.owner !== undefined) log.owners.set(message.seq, input.owner);
    }
    log.messages.push(message);
    if (input.cid !== undefined) {
      log.byCid.set(input.cid, message);
      log.cids.set(message.seq, input.cid);
    }
    this.prune(log, input.ts);
    return Promise.resolve(stored(present(log, message)));
  }

  latest(room: string, limit: number): Promise<ChatMessage[]> {
    const messages = this.rooms.get(room)?.messages ?? [];
    return this.presented(room, limit <= 0 ? [] : messages.slice(-limit));
  }

  after(room: string, after: number, limit: number): Promise<ChatMessage[]> {
    const messages = this.rooms.get(room)?.messages ?? [];
    const start = messages.findIndex((m) => m.seq > after);
    return this.presented(room, start < 0 ? [] : messages.slice(start, start + limit));
  }

  before(room: string, before: number, limit: number): Promise<ChatMessage[]> {
    const older = (this.rooms.get(room)?.messages ?? []).filter((m) => m.seq < before);
    return this.presented(room, limit <= 0 ? [] : older.slice(-limit));
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
    return this.presented(room, rows);
  }

  bounds(room: string): Promise<RoomBounds> {
    const log = this.rooms.get(room);
    return Promise.resolve({ first: log?.messages[0]?.seq ?? 0, last: log?.lastSeq ?? 0 });
  }

  countMessages(room: string, after: number, upTo: number, limit: number): Promise<number> {
    let count = 0;
    for (const m of this.rooms.get(room)?.messages ?? []) {
      if (m.seq > upTo || count >= limit) break;
      if (m.seq > after && !m.change) count++;
    }
    return Promise.resolve(count);
  }

  delete(room: string, seq: number): Promise<boolean> {
    const log = this.rooms.get(room);
    const index = log ? log.messages.findIndex((m) => m.seq === seq) : -1;
    if (!log || index < 0) return Promise.resolve(false);
    log.messages.splice(index, 1);
    return Promise.resolve(true);
  }

  /** Each room's last seq handed out (webhook cursors compare with it, as they do with SQL's rooms table). */
  heads(): Map<string, number> {
    return new Map([...this.rooms].map(([room, log]) => [room, log.lastSeq]));
  }

  private presented(room: string, rows: ChatMessage[]): Promise<ChatMessage[]> {
    const log = this.rooms.get(room);
    return Promise.resolve(log ? rows.map((m) => present(log, m)) : rows);
  }

  /** Every stored message in its current state, room by room in seq order (what `MemorySearch` looks through). */
  *messages(): IterableIterator<ChatMessage> {
    for (const log of this.rooms.values()) for (const message of log.messages) if (!message.change) yield message; // change events hold no text
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
      log = {
        ...{ lastSeq: 0, messages: [], byCid: new Map(), cids: new Map() },
        ...{ owners: new Map(), changeKeys: new WeakMap() },
      };
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
    if (drop === 0) return;
    for (const gone of log.messages.splice(0, drop)) {
      const cid = log.cids.get(gone.seq);
      if (cid !== undefined) {
        log.byCid.delete(cid);
        log.cids.delete(gone.seq);
      }
      log.owners.delete(gone.seq);
    }
  }
}

/** Where `seq` is in the room's log (ascending seqs), or -1. */
const indexOf = (log: RoomLog, seq: number): number => {
  let low = 0;
  let high = log.messages.length - 1;
  while (low <= high) {
    const mid = (low + high) >> 1;
    const at = (log.messages[mid] as ChatMessage).seq;
    if (at === seq) return mid;
    if (at < seq) low = mid + 1;
    else high = mid - 1;
  }
  return -1;
};

/** A change event with the changed message as it stands now (a stub of it, text removed, once pruned). */
const present = (log: RoomLog, m: ChatMessage): ChatMessage => {
  if (!m.change) return m;
  const target = log.messages[indexOf(log, m.change.target.seq)];
  const stub = { ...m.change.target, text: "" };
  return { ...m, change: { ...m.change, target: target ?? stub } };
};
