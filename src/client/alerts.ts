/**
 * The one banner under the header. Each text says what it is about (`scope`), so it goes away when that no longer
 * holds: a room's refusal when you leave the room, "Nickname not changed" on the next rename or room, "Offline"
 * when connected again, an upload's refusal when one succeeds there or its rate limit is over; news ("You are now alice") fades by itself; every banner can be dismissed.
 */
export type AlertScope = `room:${string}` | `upload:${string}` | "nick" | "connection" | "auth" | "page";

const NEWS_MS = 6000;

export class Alerts {
  private scope: AlertScope | undefined;
  private fade: ReturnType<typeof setTimeout> | undefined;

  private readonly box: HTMLElement;
  private readonly text: HTMLElement;

  constructor(box: HTMLElement, text: HTMLElement, dismiss: HTMLButtonElement) {
    this.box = box;
    this.text = text;
    dismiss.addEventListener("click", () => this.clear());
  }

  say(text: string, scope: AlertScope, kind: "info" | "error" = "error"): void {
    clearTimeout(this.fade);
    this.scope = scope;
    this.box.dataset.kind = kind;
    this.text.textContent = text;
    this.box.hidden = false;
    if (kind === "info") this.fade = setTimeout(() => this.clear(scope), NEWS_MS);
  }

  /** Clears the banner if it is about `scope` (or whatever it is about, without one). */
  clear(scope?: AlertScope): void {
    if (scope !== undefined && scope !== this.scope) return;
    clearTimeout(this.fade);
    this.scope = undefined;
    this.text.textContent = "";
    this.box.hidden = true;
  }

  /** A room came on screen: what was said about another room, or about a rename, is old news. */
  roomShown(room: string): void {
    const about = this.scope?.replace(/^(room|upload):/, "");
    if (this.scope === "nick" || (about !== this.scope && about !== room)) this.clear();
  }
}
