/**
 * Mentions of you: a count per room (beside its unread count and in the tab title) until you read the room, and a
 * browser notification while the tab is hidden, only once the user allowed it from the button (never asked on load).
 */
export class MentionAlerts {
  private readonly counts = new Map<string, number>();

  private readonly changed: () => void;

  constructor(container: HTMLElement, changed: () => void) {
    this.changed = changed;
    if (!("Notification" in window)) return;
    const button = document.createElement("button");
    button.type = "button";
    button.className = "quiet notify-button";
    const note = document.createElement("p");
    note.className = "notify-note";
    const draw = (): void => {
      const permission = Notification.permission;
      button.hidden = permission !== "default";
      button.textContent = "Notify me when mentioned";
      note.textContent =
        permission === "granted"
          ? "Mentions notify you while this tab is hidden."
          : permission === "denied"
            ? "Notifications are blocked for this site in your browser."
            : "";
    };
    button.addEventListener("click", () => {
      Notification.requestPermission().then(draw, draw);
    });
    draw();
    container.append(button, note);
  }

  count(room: string): number {
    return this.counts.get(room) ?? 0;
  }

  get total(): number {
    let total = 0;
    for (const count of this.counts.values()) total += count;
    return total;
  }

  /** You were named in `room` while not looking at it: one more, and a notification if the tab is hidden. */
  mentioned(room: string, nick: string, text: string, count?: number): void {
    this.counts.set(room, count ?? this.count(room) + 1);
    this.changed();
    if (document.visibilityState !== "hidden" || !("Notification" in window)) return;
    if (Notification.permission !== "granted") return;
    new Notification(`${nick} mentioned you in #${room}`, { body: text, tag: `parley-${room}` });
  }

  /** The room was read. */
  read(room: string): void {
    if (!this.counts.delete(room)) return;
    this.changed();
  }
}
