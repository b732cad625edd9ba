/**
 * Autocomplete of member nicknames after `@` in the message box: ↑/↓ choose, Enter or Tab take one, Esc closes.
 * The box stays a textbox (aria-autocomplete, aria-activedescendant into the listbox); its keys come first (capture) so Enter does not send meanwhile.
 */
import { mentionAt } from "./mentions.ts";

const MAX_SHOWN = 8;

export class MentionComplete {
  private readonly list: HTMLUListElement;
  private choices: string[] = [];
  private active = 0;

  private readonly input: HTMLTextAreaElement;
  private readonly nicks: () => readonly string[];

  constructor(input: HTMLTextAreaElement, nicks: () => readonly string[]) {
    this.input = input;
    this.nicks = nicks;
    this.list = document.createElement("ul");
    this.list.id = "mention-list";
    this.list.className = "mention-list";
    this.list.setAttribute("role", "listbox");
    this.list.setAttribute("aria-label", "People to mention");
    this.list.hidden = true;
    input.after(this.list);
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-controls", this.list.id);
    input.addEventListener("input", () => this.refresh());
    input.addEventListener("blur", () => this.close());
    input.addEventListener("keydown", (event) => this.key(event), { capture: true });
  }

  private refresh(): void {
    const at = mentionAt(this.input.value, this.input.selectionStart ?? this.input.value.length);
    if (!at) {
      this.close();
      return;
    }
    const prefix = at.prefix.toLowerCase();
    this.choices = this.nicks()
      .filter((nick) => nick.toLowerCase().startsWith(prefix))
      .slice(0, MAX_SHOWN);
    if (this.choices.length === 0) {
      this.close();
      return;
    }
    this.active = 0;
    this.draw();
  }

  private draw(): void {
    this.list.replaceChildren(
      ...this.choices.map((nick, i) => {
        const option = document.createElement("li");
        option.id = `mention-option-${i}`;
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", String(i === this.active));
        option.textContent = `@${nick}`;
        // mousedown, not click: taken before the box loses focus
        option.addEventListener("mousedown", (event) => {
          event.preventDefault();
          this.take(nick);
        });
        return option;
      }),
    );
    this.list.hidden = false;
    this.input.setAttribute("aria-activedescendant", `mention-option-${this.active}`);
  }

  private key(event: KeyboardEvent): void {
    if (this.list.hidden || event.isComposing) return;
    const step = event.key === "ArrowDown" ? 1 : event.key === "ArrowUp" ? -1 : 0;
    if (step !== 0) {
      this.active = (this.active + step + this.choices.length) % this.choices.length;
      this.draw();
    } else if (event.key === "Enter" || event.key === "Tab") {
      const nick = this.choices[this.active];
      if (nick !== undefined) this.take(nick);
    } else if (event.key === "Escape") this.close();
    else return;
    event.preventDefault();
    event.stopImmediatePropagation();
  }

  private take(nick: string): void {
    const caret = this.input.selectionStart ?? this.input.value.length;
    const at = mentionAt(this.input.value, caret);
    if (!at) {
      this.close();
      return;
    }
    const value = this.input.value;
    this.input.value = `${value.slice(0, at.start)}@${nick} ${value.slice(caret)}`;
    const end = at.start + nick.length + 2;
    this.input.setSelectionRange(end, end);
    this.close();
    this.input.dispatchEvent(new Event("input")); // the draft is kept, the box grows
  }

  private close(): void {
    if (this.list.hidden) return;
    this.list.hidden = true;
    this.list.replaceChildren();
    this.input.removeAttribute("aria-activedescendant");
  }
}
