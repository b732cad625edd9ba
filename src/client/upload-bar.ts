/**
 * The uploads in progress, above the message box: each with its name, a progress bar and a Cancel button.
 * Screen readers hear when an upload starts and how it ends (a status line), not every percent.
 */
import { formatSize } from "./file-card.ts";

export interface UploadItem {
  progress(sent: number, total: number): void;
  /** A word on where it is: "preparing…", "sending…". */
  state(text: string): void;
  remove(): void;
}

export class UploadBar {
  readonly list: HTMLUListElement;
  private readonly status: HTMLElement;

  constructor(before: HTMLElement) {
    this.list = document.createElement("ul");
    this.list.className = "uploads";
    this.list.setAttribute("aria-label", "Uploads");
    this.list.hidden = true;
    this.status = document.createElement("p");
    this.status.className = "visually-hidden";
    this.status.setAttribute("role", "status");
    before.before(this.list, this.status);
  }

  get count(): number {
    return this.list.children.length;
  }

  /** Says something to screen readers (the status line is otherwise invisible). */
  announce(text: string): void {
    this.status.textContent = text;
  }

  /** `caption`: the text that goes with the file, shown with it while it uploads (it left the message box). */
  add(name: string, size: number, caption: string, cancel: () => void): UploadItem {
    const li = document.createElement("li");
    li.className = "upload";
    const label = document.createElement("span");
    label.className = "upload-name";
    label.textContent = name;
    label.title = caption === "" ? name : `${name}: ${caption}`;
    if (caption !== "") {
      const shownCaption = document.createElement("span");
      shownCaption.className = "upload-caption";
      shownCaption.textContent = ` · “${caption.replace(/\s+/g, " ")}”`;
      label.append(shownCaption);
    }
    const bar = document.createElement("progress");
    bar.max = Math.max(size, 1);
    bar.value = 0;
    bar.setAttribute("aria-label", `Uploading ${name}`);
    const state = document.createElement("span");
    state.className = "upload-state";
    state.textContent = `0 of ${formatSize(size)}`;
    const stop = document.createElement("button");
    stop.type = "button";
    stop.className = "quiet upload-cancel";
    stop.textContent = "Cancel";
    stop.setAttribute("aria-label", `Cancel uploading ${name}`);
    stop.addEventListener("click", cancel);
    li.append(label, bar, state, stop);
    this.list.append(li);
    this.list.hidden = false;
    this.announce(`Uploading ${name} (${formatSize(size)})`);
    return {
      progress: (sent, total) => {
        bar.max = Math.max(total, 1);
        bar.value = Math.min(sent, total);
        const percent = total > 0 ? Math.floor((100 * sent) / total) : 100;
        state.textContent = `${percent}% of ${formatSize(total)}`;
      },
      state: (text) => {
        state.textContent = text;
      },
      remove: () => {
        li.remove();
        this.list.hidden = this.list.children.length === 0;
      },
    };
  }
}
