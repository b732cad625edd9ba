import type { ChatMessage, Room } from "parley-client";
import { appendGrouped, prependGrouped, regroup } from "./grouping.ts";
import { messageItem, newDivider, noticeItem, pendingItem } from "./render.ts";

/** How close to the bottom (px) still counts as "reading the latest", so new messages scroll into view. */
export const STICKY_PX = 48;

export const atBottom = (s: HTMLElement): boolean => s.scrollHeight - s.scrollTop - s.clientHeight <= STICKY_PX;

/**
 * One room on screen: its message list and its own unacknowledged messages. The SDK guarantees each
 * message arrives once and in order; this only places it, and swaps a pending line for the real one.
 */
export class RoomView {
  readonly list: HTMLDivElement;
  readonly pendingList: HTMLOListElement;
  /** Messages that arrived while this room was not on screen. */
  unread = 0;
  /** Messages that arrived while it was on screen but scrolled up (for "jump to latest"). */
  missed = 0;

  constructor(
    readonly room: Room,
    private readonly scroller: HTMLElement,
    private readonly myNick: () => string | undefined,
    /** Adds what the row shows of its conversation (conversation.ts): quote, edits, reactions, actions. */
    private readonly decorate: (row: HTMLElement, message: ChatMessage) => void = () => {},
  ) {
    this.list = document.createElement("div");
    this.list.className = "messages";
    this.list.setAttribute("role", "log");
    this.list.setAttribute("aria-live", "polite");
    this.list.setAttribute("aria-label", `Messages in ${room.name}`);
    this.pendingList = document.createElement("ol");
    this.pendingList.className = "pending-list";
    this.pendingList.setAttribute("aria-label", `Your messages waiting to be sent to ${room.name}`);
    this.hide();
    scroller.append(this.list, this.pendingList);
  }

  show(): void {
    this.list.hidden = false;
    this.pendingList.hidden = false;
    if (this.unread > 0) this.markNew(this.unread);
    this.unread = 0;
    this.missed = 0;
    const divider = this.list.querySelector<HTMLElement>(".new-divider");
    // Where you left off, when there is something new; else the latest.
    if (divider && divider.offsetTop > this.scroller.clientHeight / 2) {
      this.scroller.scrollTop = divider.offsetTop - this.scroller.clientHeight / 3;
    } else this.scroller.scrollTop = this.scroller.scrollHeight;
  }

  hide(): void {
    this.list.hidden = true;
    this.pendingList.hidden = true;
    // Read now: next time the divider is where you leave off.
    const divider = this.list.querySelector(".new-divider");
    const after = divider?.nextElementSibling ?? null;
    divider?.remove();
    regroup(after);
  }

  /** The lowest seq on screen, or undefined before any message. */
  get oldestSeq(): number | undefined {
    const first = this.list.querySelector<HTMLElement>("[data-seq]");
    return first ? Number(first.dataset.seq) : undefined;
  }

  /** The highest seq on screen, or undefined before any message. */
  get latestSeq(): number | undefined {
    const all = this.list.querySelectorAll<HTMLElement>(".message[data-seq]");
    const last = all[all.length - 1];
    return last ? Number(last.dataset.seq) : undefined;
  }

  get visible(): boolean {
    return !this.list.hidden;
  }

  /** A "New messages" line before the last `count` messages (none if they are all new or none is). */
  markNew(count: number): void {
    this.list.querySelector(".new-divider")?.remove();
    const messages = this.list.querySelectorAll(".message");
    const first = messages[messages.length - count];
    if (count <= 0 || !first || first === messages[0]) return;
    this.list.insertBefore(newDivider(), first);
    regroup(first);
  }

  /** A "New messages" line before the first message after `seq`. */
  markNewAfter(seq: number): void {
    const messages = [...this.list.querySelectorAll<HTMLElement>(".message")];
    this.markNew(messages.filter((m) => Number(m.dataset.seq) > seq).length);
  }

  addHistory(messages: ChatMessage[], kind: "initial" | "reset" | "older"): void {
    const oldest = this.oldestSeq;
    // An older page that does not end where the shown messages start was a look-up (a reply's parent): no gap shown.
    if (kind === "older" && oldest !== undefined && messages.at(-1)?.seq !== oldest - 1) return;
    const items = messages.map((m) => this.item(m));
    this.quietly(() => {
      if (kind === "older") {
        const before = this.scroller.scrollHeight;
        prependGrouped(this.list, items);
        this.scroller.scrollTop += this.scroller.scrollHeight - before; // keep the reader's place
        return;
      }
      this.place(() => {
        for (const item of items) appendGrouped(this.list, item);
      });
    });
  }

  addMessage(message: ChatMessage): void {
    const followed = this.place(() => {
      // Our own message, acknowledged before it arrived: its pending line gives way.
      this.pendingList.querySelector(`[data-seq="${message.seq}"]`)?.remove();
      appendGrouped(this.list, this.item(message));
    });
    if (!this.visible) this.unread++;
    else if (!followed) this.missed++;
  }

  addNotice(text: string): void {
    this.place(() => this.list.append(noticeItem(text)));
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
    if (this.list.querySelector(`[data-seq="${seq}"]`)) item.remove();
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
    const old = this.row(message.seq);
    if (!old) return;
    const row = this.item(message);
    row.classList.toggle("continued", old.classList.contains("continued"));
    const focused = old.contains(document.activeElement);
    old.replaceWith(row);
    if (focused) row.focus();
    this.refreshQuotes(message.seq);
  }

  /** Replies quoting `seq` are drawn again (its text changed, or it was just fetched). */
  refreshQuotes(seq: number): void {
    for (const quote of this.list.querySelectorAll<HTMLElement>(`.reply-quote[data-reply-to="${seq}"]`)) {
      const row = quote.closest<HTMLElement>(".message[data-seq]");
      const message = row ? this.room.message(Number(row.dataset.seq)) : undefined;
      if (row && message) this.update(message);
    }
  }

  row(seq: number): HTMLElement | null {
    return this.list.querySelector<HTMLElement>(`.message[data-seq="${seq}"]`);
  }

  /** Scrolls a loaded message into view, focuses it and marks it for a moment; false when it is not loaded. */
  highlight(seq: number): boolean {
    const row = this.row(seq);
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

  /** A page of history is not news: screen readers are not read 50 old messages (the live region is off meanwhile). */
  private quietly(change: () => void): void {
    this.list.setAttribute("aria-live", "off");
    change();
    setTimeout(() => this.list.setAttribute("aria-live", "polite"), 0);
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
      s.scrollTop = s.scrollHeight;
      return true;
    }
    return false;
  }
}
