/** Keyboard shortcuts of the whole page (listed in the help dialog, index.html), and moving through the log by arrows. */

export interface ShortcutActions {
  /** Moves to the room `step` places away in the list (wrapping), or to the next with unread messages. */
  moveRoom(step: 1 | -1, unreadOnly: boolean): void;
  jumpToLatest(): void;
  focusComposer(): void;
}

const typingIn = (target: EventTarget | null): boolean =>
  target instanceof HTMLElement && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));

export const installShortcuts = (actions: ShortcutActions, help: HTMLDialogElement, scroller: HTMLElement): void => {
  document.addEventListener("keydown", (event) => {
    if (event.altKey && (event.key === "ArrowUp" || event.key === "ArrowDown")) {
      event.preventDefault();
      actions.moveRoom(event.key === "ArrowUp" ? -1 : 1, event.shiftKey);
      return;
    }
    if (event.key === "Escape" && event.target instanceof HTMLTextAreaElement) {
      actions.jumpToLatest();
      return;
    }
    if (typingIn(event.target) || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === "?") {
      event.preventDefault();
      if (!help.open) help.showModal();
    } else if (event.key === "/") {
      event.preventDefault();
      actions.focusComposer();
    }
  });
  document.getElementById("help-button")?.addEventListener("click", () => help.showModal());
  help.querySelector("#help-close")?.addEventListener("click", () => help.close());

  // In the conversation, ↑/↓ go from message to message (each shows its full date while focused).
  scroller.addEventListener("keydown", (event) => {
    if (event.key !== "ArrowUp" && event.key !== "ArrowDown") return;
    const messages = [...scroller.querySelectorAll<HTMLElement>(".messages:not([hidden]) .message")];
    if (messages.length === 0) return;
    const at = messages.indexOf(document.activeElement as HTMLElement);
    const next = at === -1 ? messages[messages.length - 1] : messages[at + (event.key === "ArrowUp" ? -1 : 1)];
    if (!next) return;
    event.preventDefault();
    next.focus();
    next.scrollIntoView({ block: "nearest" });
  });
};
