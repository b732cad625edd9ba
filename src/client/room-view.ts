import type { ChatMessage, Room } from "parley-client";
import { messageItem, pendingItem } from "./render.ts";
import { WindowedLog } from "./windowed-log.ts";

/** How close to the bottom (px) still counts as "reading the latest", so new messages scroll into view. */
export const STICKY_PX = 48;

/** Lines kept in the hidden live region (screen readers read what is added; the rest is only clutter). */
const ANNOUNCED = 5;

export const atBottom = (s: HTMLElement): boolean => s.scrollHeight - s.scrollTop - s.clientHeight <= STICKY_PX;

/**
 * One room on screen: its message log (windowed-log.ts: only what is near the screen is drawn) and its own
 * unacknowledged messages. The SDK guarantees each message arrives once and in order; this only places it, and
 * swaps a pending line for the real one. The log itself is not a live region (drawing rows while scrolling would be
 * read out): new messages are announced one by one in a hidden live region.
 */
export class RoomView {
  readonly list: HTMLDivElement;
  readonly pendingList: HTMLOListElement;
  /** Where new messages and notices are announced to screen readers (only those, never the list). */
  readonly announcer: HTMLDivElement;
  /** Messages that arrived while this room was not on screen. */
  unread = 0;
  /** Messages that arrived while it was on screen but scrolled up (for "jump to latest"). */
  missed = 0;
  private readonly log: WindowedLog;

  readonly room: Room;
  private readonly scroller: HTMLElement;
  private readonly myNick: () => string | undefined;
  /** Adds what the row shows of its conversation (conversation.ts): quote, edits, reactions, actions. */
  private readonly decorate: (row: HTMLElement, message: ChatMessage) => void;

  constructor(
    room: Room,
    scroller: HTMLElement,
    myNick: () => string | undefined,
    decorate: (row: HTMLElement, message: ChatMessage) => void = () => {},
  ) {
    this.room = room;
    this.scroller = scroller;
    this.myNick = myNick;
    this.decorate = decorate;
    this.list = document.createElement("div");
    this.list.className = "messages";
    this.list.setAttribute("role", "log");
    this.list.setAttribute("aria-live", "off");
    this.list.setAttribute("aria-label", `Messages in ${room.name}`);
    this.announcer = document.createElement("div");
    this.announcer.className = "visually-hidden";
    // role=status: a plain div may not carry an aria-label (axe); aria-live said too, for older readers.
    this.announcer.setAttribute("role", "status");
    this.announcer.setAttribute("aria-live", "polite");
    this.announcer.setAttribute("aria-label", `New in ${room.name}`);
    this.pendingList = document.createElement("ol");
    this.pendingList.className = "pending-list";
    this.pendingList.setAttribute("aria-label", `Your messages waiting to be sent to ${room.name}`);
    this.log = new WindowedLog(this.list, scroller, (message) => this.item(message));
    this.hide();
    scroller.append(this.list, this.pendingList, this.announcer);
  }

  show(): void {
    this.list.hidden = false;
    this.pendingList.hidden = false;
    this.announcer.hidden = false;
    if (this.unread > 0) this.markNew(this.unread);
    this.unread = 0;
    this.missed = 0;
    this.log.fitSoon();
    const divider = this.log.dividerRow();
    // Where you left off, when there is something new; else the latest.
    if (divider && divider.offsetTop > this.scroller.clientHeight / 2) {
      this.scroller.scrollTop = divider.offsetTop - this.scroller.clientHeight / 3;
    } else this.scrollToLatest();
  }

  hide(): void {
    this.list.hidden = true;
    this.pendingList.hidden = true;
    this.announcer.hidden = true;
    // Read now: next time the divider is where you leave off.
    this.log.clearDivider();
  }

  /** To the bottom, with the last rows drawn first so that the bottom is where they end. */
  scrollToLatest(): void {
    this.log.drawLast(2 * this.scroller.clientHeight);
    this.scroller.scrollTop = this.scroller.scrollHeight;
  }

  /** The lowest seq in the log, or undefined before any message. */
  get oldestSeq(): number | undefined {
    return this.log.messages().next().value?.seq;
  }

  /** The highest seq in the log, or undefined before any message. */
  get latestSeq(): number | undefined {
    return this.log.messages(true).next().value?.seq;
  }

  get visible(): boolean {
    return !this.list.hidden;
  }

  /** Whether the log holds `seq` (drawn or not). */
  has(seq: number): boolean {
    return this.log.has(seq);
  }

  /** A "New messages" line before the last `count` messages (none if they are all new or none is). */
  markNew(count: number): void {
    this.log.markNew(count);
  }

  /** A "New messages" line before the first message after `seq`. */
  markNewAfter(seq: number): void {
    let count = 0;
    for (const message of this.log.messages(true)) {
      if (message.seq <= seq) break;
      count++;
    }
    this.markNew(count);
  }

  addHistory(messages: ChatMessage[], kind: "initial" | "reset" | "older"): void {
    const oldest = this.oldestSeq;
    // An older page that does not end where the shown messages start was a look-up (a reply's parent): no gap shown.
    if (kind === "older" && oldest !== undefined && messages.at(-1)?.seq !== oldest - 1) return;
    if (kind === "older") {
      const before = this.scroller.scrollHeight;
      const top = this.scroller.scrollTop;
      this.log.prepend(messages);
      this.scroller.scrollTop = top + this.scroller.scrollHeight - before; // keep the reader's place
      return;
    }
    this.place(() =>
      this.log.append(
        messages.map((message) => ({ kind: "message", message })),
        true,
      ),
    );
  }

  addMessage(message: ChatMessage): void {
    const followed = this.place(() => {
      // Our own message, acknowledged before it arrived: its pending line gives way.
      this.pendingList.querySelector(`[data-seq="${message.seq}"]`)?.remove();
      this.log.append([{ kind: "message", message }]);
    });
    if (!this.visible) this.unread++;
    else if (!followed) this.missed++;
    if (message.nick !== this.myNick()) this.announce(`${message.nick}: ${message.text}`);
  }

  addNotice(text: string): void {
    this.place(() => this.log.append([{ kind: "notice", text }]));
    this.announce(text);
  }

  addPending(cid: string, text: string, online: boolean): void {
    const item = pendingItem(cid, this.myNick() ?? "you", text);
    this.setPendingState(item, online);
    this.place(() => this.pendingList.append(item), true);
  }

  /** The server has it as `seq`: drop the pending line now if the message is shown, else when it comes. */
  acked(cid: string, seq: number): void {
    const item = this.pendingList.querySelector<HTMLElement>(`[data-cid="${CSS.escape(cid)}"]`);
    if (!item) return;
    if (this.log.has(seq)) item.remove();
    else item.dataset.seq = String(seq);
  }

  failed(cid: string, reason: string): void {
    const item = this.pendingList.querySelector<HTMLElement>(`[data-cid="${CSS.escape(cid)}"]`);
    if (!item) return;
    item.classList.add("failed");
    const state = item.querySelector(".state");
    if (state) state.textContent = `not sent: ${reason}`;
  }

  /** The message changed (edited, deleted, reacted to): its row is drawn again from its state now. */
  update(message: ChatMessage): void {
    const focused = this.row(message.seq)?.contains(document.activeElement);
    const row = this.log.update(message);
    if (focused) row?.focus();
    this.refreshQuotes(message.seq);
  }

  /** Replies quoting `seq` are drawn again (its text changed, or it was just fetched). */
  refreshQuotes(seq: number): void {
    for (const quote of this.list.querySelectorAll<HTMLElement>(`.reply-quote[data-reply-to="${seq}"]`)) {
      const row = quote.closest<HTMLElement>(".message[data-seq]");
      const replySeq = Number(row?.dataset.seq);
      const message = this.room.message(replySeq) ?? this.log.message(replySeq);
      if (row && message) this.update(message);
    }
  }

  /** The row of `seq` if it is drawn now. */
  row(seq: number): HTMLElement | null {
    return this.log.row(seq) ?? null;
  }

  /** Scrolls a loaded message into view, focuses it and marks it for a moment; false when it is not loaded. */
  highlight(seq: number): boolean {
    const row = this.log.row(seq, true);
    if (!row) return false;
    row.scrollIntoView({ block: "center" });
    row.focus({ preventScroll: true });
    row.classList.add("highlighted");
    setTimeout(() => row.classList.remove("highlighted"), 4000);
    return true;
  }

  private item(given: ChatMessage): HTMLElement {
    const message = this.room.message(given.seq) ?? given; // with the changes a page carried applied
    const row = messageItem(message, message.nick === this.myNick());
    this.decorate(row, message);
    return row;
  }

  setOnline(online: boolean): void {
    for (const item of this.pendingList.querySelectorAll<HTMLElement>(".pending:not(.failed)")) {
      this.setPendingState(item, online);
    }
  }

  private setPendingState(item: HTMLElement, online: boolean): void {
    const state = item.querySelector(".state");
    if (state) state.textContent = online ? "sending…" : "waiting for the connection…";
  }

  /** Said by screen readers while the room is on screen; the last few lines are kept, older ones go. */
  private announce(text: string): void {
    if (!this.visible) return;
    const line = document.createElement("p");
    line.textContent = text;
    this.announcer.append(line);
    while (this.announcer.childElementCount > ANNOUNCED) this.announcer.firstElementChild?.remove();
  }

  /**
   * Appends, then follows the newest line only if the reader was already at the bottom (or it is their own).
   * Returns whether the reader sees it at the bottom.
   */
  private place(append: () => void, force = false): boolean {
    const s = this.scroller;
    const wasAtBottom = atBottom(s);
    append();
    if (this.visible && (wasAtBottom || force)) {
      this.scrollToLatest();
      return true;
    }
    return false;
  }
}
