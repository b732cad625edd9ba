/**
 * What the header says about the connection. The SDK's state, plus the browser's own `offline` event: a socket
 * whose network went away (Wi-Fi gone, laptop asleep) can stay "open" for minutes before TCP notices, and the
 * page would say "Connected" meanwhile. The browser knows within a second; the SDK reconnects when it can.
 */
import type { StateChange } from "parley-client";

/** Close codes that mean "do not come back by yourself" (src/protocol/close-codes.ts). */
const KICKED = 4003;
const BANNED = 4004;

export const describeState = (change: StateChange): string => {
  const why = change.code !== undefined ? ` (${change.code}${change.reason ? `: ${change.reason}` : ""})` : "";
  switch (change.state) {
    case "connecting":
      return change.attempt > 0 ? `Connecting, attempt ${change.attempt + 1}…` : "Connecting…";
    case "connected":
      return "Connected";
    case "reconnecting":
      return `Offline${why}; retrying in ${Math.max(1, Math.round((change.delay ?? 0) / 1000))} s`;
    case "disconnected":
      if (change.code === KICKED) return "Removed by an administrator";
      if (change.code === BANNED) return "Banned";
      return `Disconnected${why}. Reload the page to try again.`;
  }
};

/** The plain words for a person an administrator removed: what happened and what they can do. */
export const removalExplained = (change: StateChange): string | undefined => {
  if (change.state !== "disconnected") return undefined;
  const reason = change.reason ? ` (${change.reason})` : "";
  if (change.code === KICKED) {
    return `An administrator removed you from the chat${reason}. You can reload the page to come back; if you are removed again, ask the administrator why.`;
  }
  if (change.code === BANNED) {
    return `An administrator banned you from this chat${reason}. Reloading will not let you back in; only the server's administrator can lift a ban.`;
  }
  return undefined;
};

export class ConnectionStatus {
  private last: StateChange | undefined;

  private readonly element: HTMLElement;
  private readonly changed: (online: boolean) => void;

  constructor(element: HTMLElement, changed: (online: boolean) => void) {
    this.element = element;
    this.changed = changed;
    window.addEventListener("offline", () => this.render());
    window.addEventListener("online", () => this.render());
  }

  get online(): boolean {
    return this.last?.state === "connected" && navigator.onLine;
  }

  update(change: StateChange): void {
    this.last = change;
    this.render();
  }

  private render(): void {
    const change = this.last;
    if (!change) return;
    const networkGone = !navigator.onLine && change.state === "connected";
    this.element.dataset.state = networkGone ? "reconnecting" : change.state;
    this.element.textContent = networkGone ? "Offline: this device has no network" : describeState(change);
    this.changed(this.online);
  }
}
