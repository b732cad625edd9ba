/**
 * The message box: several lines, growing with its content up to a third of the window. Enter sends and
 * Shift+Enter starts a new line; on a touch screen (no Shift at hand) Enter is a new line and the Send button sends.
 * A textarea takes pasted text as plain text by nature. The draft of each room is kept across reloads.
 */
import { saveDraft, savedDraft } from "./storage.ts";

const touchFirst = (): boolean => window.matchMedia("(pointer: coarse)").matches;

export class Composer {
  private room: string | undefined;

  readonly input: HTMLTextAreaElement;
  private readonly typed: (room: string) => void;

  constructor(input: HTMLTextAreaElement, form: HTMLFormElement, typed: (room: string) => void) {
    this.input = input;
    this.typed = typed;
    input.addEventListener("keydown", (event) => {
      if (event.key !== "Enter" || event.isComposing) return;
      const newLine = event.shiftKey !== touchFirst() && !event.ctrlKey && !event.metaKey;
      if (newLine) return;
      event.preventDefault();
      form.requestSubmit();
    });
    input.addEventListener("input", () => {
      this.grow();
      if (!this.room) return;
      saveDraft(this.room, input.value);
      if (input.value.trim() !== "") this.typed(this.room);
    });
    input.enterKeyHint = touchFirst() ? "enter" : "send";
  }

  /** Another room on screen: keeps this room's draft, brings back that room's. */
  switchTo(room: string): void {
    if (room === this.room) return;
    this.room = room;
    this.input.value = savedDraft(room);
    this.grow();
  }

  /** Takes the text to send and empties the box (and the stored draft). */
  take(): string {
    const text = this.input.value;
    this.input.value = "";
    if (this.room) saveDraft(this.room, "");
    this.grow();
    return text;
  }

  /** Text taken for a message that was not sent after all (a failed upload's caption): back in the room's box. */
  putBack(room: string, text: string): void {
    const draft = room === this.room ? this.input.value : savedDraft(room);
    const merged = draft.trim() === "" ? text : `${text}\n${draft}`;
    saveDraft(room, merged);
    if (room !== this.room) return;
    this.input.value = merged;
    this.grow();
  }

  private grow(): void {
    const box = this.input;
    box.style.height = "auto";
    box.style.height = `${Math.min(box.scrollHeight + 2, Math.round(window.innerHeight / 3))}px`;
  }
}
