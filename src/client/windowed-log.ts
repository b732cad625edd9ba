/**
 * A room's log drawn only near the screen. Its entries (messages, notices, day lines, the "new messages" divider) are
 * kept in chunks of about CHUNK; each chunk is a <div> in the log, holding its rows while it is within MARGIN screens
 * of the visible part, else empty with the height it had when drawn (or an estimate). After each scroll (once per
 * frame) the chunks near the screen are found by a binary search on their positions: an IntersectionObserver on
 * hundreds of chunks costs the browser work on every frame. Chromium's scroll anchoring keeps the reader's place when
 * a chunk above changes height. Rooms of up to KEEP_ALL entries stay drawn whole (find-in-page finds all of them).
 */
import type { ChatMessage } from "parley-client";
import { continues, type Entry } from "./grouping.ts";
import { dayKey, daySeparator, newDivider, noticeItem } from "./render.ts";

const CHUNK = 15;
const KEEP_ALL = 300;
/** A row's height before any chunk of this log has been measured, px. */
const GUESS_PX = 44;

/** How far around the visible part chunks are drawn, in heights of it. */
const MARGIN = 1.5;

interface Chunk {
  el: HTMLDivElement;
  entries: Entry[];
  drawn: boolean;
  /** Its height when last emptied (its rows measured), px. */
  height?: number;
}

export class WindowedLog {
  private readonly chunks: Chunk[] = [];
  private readonly chunkOfSeq = new Map<number, Chunk>();
  private entryCount = 0;
  private measuredPx = 0;
  private measuredEntries = 0;
  private lastDay: string | undefined;
  private divider: Chunk | undefined;
  private readonly drawn = new Set<Chunk>();
  private frame: number | undefined;

  private readonly list: HTMLElement;
  private readonly scroller: HTMLElement;
  /** A message's row (render.ts and its decorations). */
  private readonly drawMessage: (message: ChatMessage) => HTMLElement;

  constructor(list: HTMLElement, scroller: HTMLElement, drawMessage: (message: ChatMessage) => HTMLElement) {
    this.list = list;
    this.scroller = scroller;
    this.drawMessage = drawMessage;
    scroller.addEventListener("scroll", () => this.fitSoon(), { passive: true });
  }

  /** On the next frame, the chunks near the screen are drawn and the others emptied. */
  fitSoon(): void {
    if (this.frame !== undefined || !this.windowed) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = undefined;
      this.fit();
    });
  }

  /**
   * Draws what is on screen now; of the margin, one chunk per frame (no frame draws several: a long task on a slow
   * machine), nearest first; empties drawn chunks beyond the margin.
   */
  private fit(): void {
    if (this.list.hidden || !this.windowed) return;
    const view = this.scroller.getBoundingClientRect();
    const margin = view.height * MARGIN;
    const first = this.firstBelow(view.top - margin);
    let pending: Chunk | undefined;
    const near = new Set<Chunk>();
    for (let c = first; c < this.chunks.length; c++) {
      const chunk = this.chunks[c] as Chunk;
      const box = chunk.el.getBoundingClientRect();
      if (box.top > view.bottom + margin) break;
      near.add(chunk);
      if (chunk.drawn) continue;
      if (box.bottom > view.top && box.top < view.bottom) this.draw(chunk);
      else pending ??= chunk;
    }
    for (const chunk of this.drawn) if (!near.has(chunk)) this.empty(chunk);
    if (pending) {
      this.draw(pending);
      this.fitSoon();
    }
  }

  /** The index of the first chunk whose bottom is below `y` (viewport coordinates). */
  private firstBelow(y: number): number {
    let low = 0;
    let high = this.chunks.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if ((this.chunks[mid] as Chunk).el.getBoundingClientRect().bottom > y) high = mid;
      else low = mid + 1;
    }
    return low;
  }

  get windowed(): boolean {
    return this.entryCount > KEEP_ALL;
  }

  /** Appends a message (after a day line if it starts a day) or a notice. `bulk`: a page of history, drawn where seen. */
  append(entries: Entry[], bulk = false): void {
    const lines: Entry[] = [];
    for (const entry of entries) {
      if (entry.kind === "message") {
        const day = dayKey(entry.message.ts);
        if (day !== this.lastDay) lines.push({ kind: "day", ts: entry.message.ts, day });
        this.lastDay = day;
      }
      lines.push(entry);
    }
    for (const entry of lines) {
      let last = this.chunks.at(-1);
      if (!last || last.entries.length >= CHUNK) {
        last = this.newChunk(!bulk && (last?.drawn ?? true));
        this.chunks.push(last);
        this.list.append(last.el);
      }
      this.insert(last, last.entries.length, entry);
    }
  }

  /** Puts an older page before the entries shown, joining the day it meets. */
  prepend(messages: ChatMessage[]): void {
    if (messages.length === 0) return;
    const first = this.chunks[0];
    const drawn = first?.drawn ?? true;
    const lines: Entry[] = [];
    let day: string | undefined;
    for (const message of messages) {
      const key = dayKey(message.ts);
      if (key !== day) lines.push({ kind: "day", ts: message.ts, day: key });
      day = key;
      lines.push({ kind: "message", message });
    }
    const met = first?.entries[0];
    if (first && met?.kind === "day" && met.day === day) this.remove(first, 0);
    if (!first) this.lastDay = day;
    const added = Array.from({ length: Math.ceil(lines.length / CHUNK) }, () => this.newChunk(drawn));
    this.chunks.unshift(...added);
    this.list.prepend(...added.map((c) => c.el));
    lines.forEach((entry, n) => {
      const chunk = added[Math.floor(n / CHUNK)] as Chunk;
      this.insert(chunk, chunk.entries.length, entry);
    });
    if (first) this.regroup(first, 0);
  }

  has(seq: number): boolean {
    return this.chunkOfSeq.has(seq);
  }

  /** The message at `seq` as last given, if the log has it. */
  message(seq: number): ChatMessage | undefined {
    const entry = this.find(seq);
    return entry?.entry.kind === "message" ? entry.entry.message : undefined;
  }

  /** The row of `seq` if it is drawn; with `draw`, its chunk is drawn first. */
  row(seq: number, draw = false): HTMLElement | undefined {
    const chunk = this.chunkOfSeq.get(seq);
    if (chunk && draw) this.draw(chunk);
    return this.find(seq)?.entry.row;
  }

  /** The message changed: kept for when it is drawn, and drawn again now if it is. */
  update(message: ChatMessage): HTMLElement | undefined {
    const found = this.find(message.seq);
    if (found?.entry.kind !== "message") return undefined;
    found.entry.message = message;
    const old = found.entry.row;
    if (!old) return undefined;
    const row = this.make(found.entry);
    row.classList.toggle("continued", old.classList.contains("continued"));
    old.replaceWith(row);
    found.entry.row = row;
    return row;
  }

  /** Messages, oldest first (`fromEnd`: newest first). */
  *messages(fromEnd = false): Generator<ChatMessage> {
    const chunks = fromEnd ? [...this.chunks].reverse() : this.chunks;
    for (const chunk of chunks) {
      const entries = fromEnd ? [...chunk.entries].reverse() : chunk.entries;
      for (const entry of entries) if (entry.kind === "message") yield entry.message;
    }
  }

  /** A "New messages" line before the last `count` messages (none if they are all new or none is). */
  markNew(count: number): void {
    this.clearDivider();
    if (count <= 0) return;
    let seen = 0;
    for (let c = this.chunks.length - 1; c >= 0; c--) {
      const chunk = this.chunks[c] as Chunk;
      for (let i = chunk.entries.length - 1; i >= 0; i--) {
        if (chunk.entries[i]?.kind !== "message" || ++seen < count) continue;
        if (this.messages().next().value === (chunk.entries[i] as { message: ChatMessage }).message) return;
        this.insert(chunk, i, { kind: "divider" });
        this.divider = chunk;
        this.regroup(chunk, i + 1);
        return;
      }
    }
  }

  clearDivider(): void {
    const chunk = this.divider;
    if (!chunk) return;
    this.divider = undefined;
    const at = chunk.entries.findIndex((e) => e.kind === "divider");
    if (at === -1) return;
    this.remove(chunk, at);
    this.regroup(chunk, at);
  }

  /** The divider's row, drawn, if there is one. */
  dividerRow(): HTMLElement | undefined {
    if (!this.divider) return undefined;
    this.draw(this.divider);
    return this.divider.entries.find((e) => e.kind === "divider")?.row;
  }

  /** Draws the last chunks, enough to fill `px`, so that scrolling to the bottom lands on real rows. */
  drawLast(px: number): void {
    let filled = 0;
    for (let c = this.chunks.length - 1; c >= 0 && filled < px; c--) {
      const chunk = this.chunks[c] as Chunk;
      this.draw(chunk);
      filled += chunk.el.offsetHeight;
    }
  }

  private newChunk(drawn: boolean): Chunk {
    const el = document.createElement("div");
    el.className = "chunk";
    const chunk: Chunk = { el, entries: [], drawn: drawn || !this.windowed };
    if (chunk.drawn) this.drawn.add(chunk);
    this.fitSoon();
    return chunk;
  }

  private insert(chunk: Chunk, at: number, entry: Entry): void {
    chunk.entries.splice(at, 0, entry);
    if (entry.kind === "message") this.chunkOfSeq.set(entry.message.seq, chunk);
    const wasWindowed = this.windowed;
    this.entryCount++;
    if (!wasWindowed && this.windowed) this.fitSoon();
    if (!chunk.drawn) {
      chunk.height = (chunk.height ?? 0) + this.rowGuess();
      chunk.el.style.height = `${chunk.height}px`;
      return;
    }
    entry.row = this.make(entry);
    chunk.el.insertBefore(entry.row, chunk.entries[at + 1]?.row ?? null);
    this.regroup(chunk, at);
  }

  private remove(chunk: Chunk, at: number): void {
    const [entry] = chunk.entries.splice(at, 1);
    entry?.row?.remove();
    this.entryCount--;
  }

  private make(entry: Entry): HTMLElement {
    switch (entry.kind) {
      case "message":
        return this.drawMessage(entry.message);
      case "notice":
        return noticeItem(entry.text);
      case "day":
        return daySeparator(entry.ts);
      case "divider":
        return newDivider();
    }
  }

  private draw(chunk: Chunk): void {
    if (chunk.drawn) return;
    chunk.drawn = true;
    this.drawn.add(chunk);
    for (const entry of chunk.entries) entry.row = this.make(entry);
    chunk.el.replaceChildren(...chunk.entries.map((e) => e.row as HTMLElement));
    chunk.el.style.height = "";
    this.regroupAll(chunk);
  }

  /** Off screen: its rows go, its measured height stays (unless it holds focus or an open editor or picker). */
  private empty(chunk: Chunk): void {
    if (!chunk.drawn || !this.windowed || !chunk.el.isConnected) return;
    if (chunk.el.contains(document.activeElement) || chunk.el.querySelector(".editor, .picker")) return;
    const height = chunk.el.offsetHeight;
    if (height === 0) return; // the log is hidden: nothing to measure, drawn again as it was when shown
    this.measuredPx += height;
    this.measuredEntries += chunk.entries.length;
    chunk.height = height;
    chunk.el.style.height = `${height}px`;
    chunk.el.replaceChildren();
    for (const entry of chunk.entries) entry.row = undefined;
    chunk.drawn = false;
    this.drawn.delete(chunk);
  }

  private rowGuess(): number {
    return this.measuredEntries > 0 ? this.measuredPx / this.measuredEntries : GUESS_PX;
  }

  private regroupAll(chunk: Chunk): void {
    for (let i = 0; i < chunk.entries.length; i++) this.regroup(chunk, i);
  }

  /** Sets the `continued` look of the entry at `at` in `chunk` from the entry before it. */
  private regroup(chunk: Chunk, at: number): void {
    const entry = chunk.entries[at];
    if (!entry?.row || entry.kind !== "message") return;
    const before = at > 0 ? chunk.entries[at - 1] : this.chunks[this.chunks.indexOf(chunk) - 1]?.entries.at(-1);
    entry.row.classList.toggle("continued", continues(before, entry));
  }

  private find(seq: number): { chunk: Chunk; entry: Entry } | undefined {
    const chunk = this.chunkOfSeq.get(seq);
    const entry = chunk?.entries.find((e) => e.kind === "message" && e.message.seq === seq);
    return chunk && entry ? { chunk, entry } : undefined;
  }
}
