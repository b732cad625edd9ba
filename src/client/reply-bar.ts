/** "Replying to alice: …  ✕" above the message box while a reply is being written; the next send answers that message. */
import type { ChatMessage } from "parley-client";

export class ReplyBar {
  private readonly bar: HTMLDivElement;
  private readonly label: HTMLSpanElement;
  private target: { room: string; seq: number } | undefined;

  private readonly input: HTMLTextAreaElement;

  constructor(form: HTMLFormElement, input: HTMLTextAreaElement) {
    this.input = input;
    this.bar = document.createElement("div");
    this.bar.className = "reply-bar";
    this.bar.hidden = true;
    this.label = document.createElement("span");
    this.label.id = "reply-label";
    const cancel = document.createElement("button");
    cancel.type = "button";
    cancel.className = "quiet";
    cancel.textContent = "✕";
    cancel.setAttribute("aria-label", "Cancel the reply");
    cancel.addEventListener("click", () => {
      this.cancel();
      input.focus();
    });
    this.bar.append(this.label, cancel);
    form.before(this.bar);
    input.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && this.target) {
        event.stopImmediatePropagation();
        this.cancel();
      }
    });
  }

  start(message: ChatMessage): void {
    this.target = { room: message.room, seq: message.seq };
    const words = message.text.replace(/\s+/g, " ").trim();
    this.label.textContent = `Replying to ${message.nick}: ${words.length > 80 ? `${words.slice(0, 80)}…` : words}`;
    this.bar.hidden = false;
    this.input.setAttribute("aria-describedby", "reply-label");
    this.input.focus();
  }

  /** The seq the next message in `room` answers (and the bar closes), or undefined. */
  take(room: string): number | undefined {
    const target = this.target;
    if (!target || target.room !== room) return undefined;
    this.cancel();
    return target.seq;
  }

  /** Another room on screen: a reply started elsewhere does not follow. */
  roomShown(room: string): void {
    if (this.target && this.target.room !== room) this.cancel();
  }

  cancel(): void {
    this.target = undefined;
    this.bar.hidden = true;
    this.input.removeAttribute("aria-describedby");
  }
}
