import type { ChatMessage, Room } from "parley-client";
import { messageItem, noticeItem, pendingItem } from "./render.ts";

/** How close to the bottom (px) still counts as "reading the latest", so new messages scroll into view. */
const STICKY_PX = 48;

/**
 * One room on screen: its message list and its own unacknowledged messages. The SDK guarantees each
 * message arrives once and in order; this only places it, and swaps a pending line for the real one.
 */
export class RoomView {
  readonly list: HTMLOListElement;
  readonly pendingList: HTMLOListElement;
  unread = 0;

  constructor(
    readonly room: Room,
    private readonly scroller: HTMLElement,
    private readonly myNick: () => string | undefined,
  ) {
    this.list = document.createElement("ol");
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
    this.unread = 0;
    this.scroller.scrollTop = this.scroller.scrollHeight;
  }

  hide(): void {
    this.list.hidden = true;
    this.pendingList.hidden = true;
  }

  /** The lowest seq on screen, or undefined before any message. */
  get oldestSeq(): number | undefined {
    const first = this.list.querySelector<HTMLElement>("[data-seq]");
    return first ? Number(first.dataset.seq) : undefined;
  }

  get visible(): boolean {
    return !this.list.hidden;
  }

  addHistory(messages: ChatMessage[], kind: "initial" | "reset" | "older"): void {
    const items = messages.map((m) => messageItem(m, m.nick === this.myNick()));
    if (kind === "older") {
      const before = this.scroller.scrollHeight;
      this.list.prepend(...items);
      this.scroller.scrollTop += this.scroller.scrollHeight - before; // keep the reader's place
      return;
    }
    this.place(() => this.list.append(...items));
  }

  addMessage(message: ChatMessage): void {
    this.place(() => {
      // Our own message, acknowledged before it arrived: its pending line gives way.
      this.pendingList.querySelector(`[data-seq="${message.seq}"]`)?.remove();
      this.list.append(messageItem(message, message.nick === this.myNick()));
    });
    if (!this.visible) this.unread++;
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

  markDeleted(seq: number): void {
    const item = this.list.querySelector(`[data-seq="${seq}"] .text`);
    if (item) item.textContent = "(message removed)";
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

  /** Appends, then follows the newest line only if the reader was already at the bottom (or it is their own). */
  private place(append: () => void, force = false): void {
    const s = this.scroller;
    const atBottom = s.scrollHeight - s.scrollTop - s.clientHeight <= STICKY_PX;
    append();
    if (this.visible && (atBottom || force)) s.scrollTop = s.scrollHeight;
  }
}
