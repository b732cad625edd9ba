/**
 * The phone layout keeps the conversation on screen: rooms and people are panels opened with the header's
 * buttons (on a wide screen both are always shown and the buttons are hidden by CSS). Also the colour theme:
 * the system's (prefers-color-scheme), or light or dark as chosen, remembered.
 */
import { savedTheme, saveTheme, type Theme } from "./storage.ts";

export class Panels {
  private readonly pairs: [HTMLButtonElement, HTMLElement][];

  constructor(pairs: [HTMLButtonElement, HTMLElement][]) {
    this.pairs = pairs;
    for (const [button, panel] of pairs) {
      button.addEventListener("click", () => this.toggle(panel));
    }
    document.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && this.pairs.some(([, panel]) => panel.classList.contains("open"))) this.closeAll();
    });
  }

  toggle(panel: HTMLElement): void {
    const opening = !panel.classList.contains("open");
    this.closeAll();
    if (!opening) return;
    panel.classList.add("open");
    for (const [button, p] of this.pairs) if (p === panel) button.setAttribute("aria-expanded", "true");
    panel.querySelector<HTMLElement>("a, input, button")?.focus();
  }

  closeAll(): void {
    for (const [button, panel] of this.pairs) {
      panel.classList.remove("open");
      button.setAttribute("aria-expanded", "false");
    }
  }
}

const NEXT: Record<Theme, Theme> = { system: "dark", dark: "light", light: "system" };
const SAID: Record<Theme, string> = { system: "as the system", dark: "dark", light: "light" };

export const installThemeToggle = (button: HTMLButtonElement): void => {
  const apply = (theme: Theme): void => {
    if (theme === "system") delete document.documentElement.dataset.theme;
    else document.documentElement.dataset.theme = theme;
    button.setAttribute("aria-label", `Colour theme: ${SAID[theme]}`);
    button.title = `Colour theme: ${SAID[theme]} (click for ${SAID[NEXT[theme]]})`;
  };
  let theme = savedTheme();
  apply(theme);
  button.addEventListener("click", () => {
    theme = NEXT[theme];
    saveTheme(theme);
    apply(theme);
  });
};
