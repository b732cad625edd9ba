/**
 * Sharing files from the page: the "Attach a file" button (a hidden file input behind it), a file dropped on the
 * conversation, an image pasted into the message box. Each file: an upload ticket from the server (its `max_bytes`
 * refuses a file too big before a byte is sent), the upload with a progress bar and Cancel, then a message that
 * carries it, with the text of the message box as its caption. While offline nothing is queued: the page says so.
 */
import { UploadBar } from "./upload-bar.ts";
import { type StoredFile, tooBigText, type UploadRequest, type UploadTicket, uploadFile } from "./upload-request.ts";

/** Uploads listed at once; a drop of more is refused with a sentence (each upload holds a request open). */
export const MAX_UPLOADS = 10;

export interface UploadHost {
  /** The room on screen, where a file goes. */
  room(): string | undefined;
  online(): boolean;
  ticket(room: string): Promise<UploadTicket>;
  /** Takes the message box's text (the caption); `restoreCaption` puts it back when the file is not sent. */
  takeCaption(room: string): string;
  restoreCaption(room: string, text: string): void;
  /** Sends the message that carries the file (as the Send button does: shown pending, kept until acknowledged). */
  send(room: string, text: string, file: StoredFile): void;
  /** A refusal said in a banner about this room's uploads, and cleared once it no longer holds. */
  refuse(room: string, text: string, clearAfterMs?: number): void;
  /** An upload started at `startedAt` went through: a refusal said before then no longer holds (not a later one). */
  clearRefusal(room: string, startedAt: number): void;
}

/** What the clipboard or a drop carries as files (a pasted screenshot is a File named "image.png"). */
export const filesOf = (data: DataTransfer | null): File[] => (data ? [...data.files] : []);

/** A dropped or pasted file without a useful name gets one with its time, so the room can tell two apart. */
export const uploadName = (file: File, now = new Date()): string => {
  if (file.name && file.name !== "image.png") return file.name;
  const extension = file.type.startsWith("image/")
    ? file.type.slice(6).replace("jpeg", "jpg").replace(/\W.*$/, "")
    : "bin";
  const stamp = now.toISOString().slice(0, 19).replace("T", " ").replaceAll(":", ".");
  return `${file.type.startsWith("image/") ? "Pasted image" : "Pasted file"} ${stamp}.${extension}`;
};

const SVG = "http://www.w3.org/2000/svg";

/** The paperclip, drawn (an emoji is not in every system's fonts). */
const paperclip = (): SVGSVGElement => {
  const svg = document.createElementNS(SVG, "svg");
  for (const [name, value] of Object.entries({
    viewBox: "0 0 24 24",
    width: "20",
    height: "20",
    fill: "none",
    stroke: "currentColor",
    "stroke-width": "2",
    "stroke-linecap": "round",
    "stroke-linejoin": "round",
    "aria-hidden": "true",
  })) {
    svg.setAttribute(name, value);
  }
  const path = document.createElementNS(SVG, "path");
  path.setAttribute(
    "d",
    "M21.4 11.1l-9.2 9.2a6 6 0 0 1-8.5-8.5l9.2-9.2a4 4 0 0 1 5.7 5.7l-9.2 9.2a2 2 0 0 1-2.8-2.8l8.5-8.5",
  );
  svg.append(path);
  return svg;
};

export class Uploads {
  private readonly bar: UploadBar;
  private readonly picker: HTMLInputElement;
  readonly button: HTMLButtonElement;

  private readonly host: UploadHost;

  constructor(form: HTMLFormElement, input: HTMLTextAreaElement, dropZone: HTMLElement, host: UploadHost) {
    this.host = host;
    this.bar = new UploadBar(form);
    this.picker = document.createElement("input");
    this.picker.type = "file";
    this.picker.multiple = true;
    this.picker.hidden = true;
    this.picker.tabIndex = -1;
    this.picker.id = "attach-input";
    this.picker.setAttribute("aria-hidden", "true");
    this.button = document.createElement("button");
    this.button.type = "button";
    this.button.className = "icon-button attach";
    this.button.setAttribute("aria-label", "Attach a file");
    this.button.title = "Attach a file (or drop one here, or paste an image)";
    this.button.append(paperclip());
    this.button.addEventListener("click", () => this.picker.click());
    this.picker.addEventListener("change", () => {
      this.share([...(this.picker.files ?? [])]);
      this.picker.value = ""; // the same file chosen again is a new upload
    });
    input.before(this.button, this.picker);

    input.addEventListener("paste", (event) => {
      const files = filesOf(event.clipboardData);
      // Text copied with a picture of it (a spreadsheet's cells): the text is what was meant.
      if (files.length === 0 || event.clipboardData?.types.includes("text/plain")) return;
      event.preventDefault();
      this.share(files);
    });
    this.installDrop(dropZone);
  }

  private installDrop(zone: HTMLElement): void {
    const carriesFiles = (event: DragEvent): boolean => event.dataTransfer?.types.includes("Files") ?? false;
    let depth = 0; // dragenter/dragleave come for every child crossed
    const done = (): void => {
      depth = 0;
      zone.classList.remove("dropping");
    };
    zone.addEventListener("dragenter", (event) => {
      if (!carriesFiles(event)) return;
      event.preventDefault();
      depth++;
      const room = this.host.room();
      zone.dataset.dropLabel = room ? `Drop to share in #${room}` : "Drop to share";
      zone.classList.add("dropping");
    });
    zone.addEventListener("dragover", (event) => {
      if (!carriesFiles(event)) return;
      event.preventDefault();
      if (event.dataTransfer) event.dataTransfer.dropEffect = "copy";
    });
    zone.addEventListener("dragleave", () => {
      depth = Math.max(0, depth - 1);
      if (depth === 0) done();
    });
    zone.addEventListener("drop", (event) => {
      if (!carriesFiles(event)) return;
      event.preventDefault();
      done();
      this.share(filesOf(event.dataTransfer));
    });
    // A file dropped beside the conversation must not replace the page with itself.
    for (const type of ["dragover", "drop"] as const) {
      window.addEventListener(type, (event) => {
        if (event.dataTransfer?.types.includes("Files")) event.preventDefault();
      });
    }
  }

  /** Shares files in the room on screen; the message box's text goes with the first. */
  share(files: File[]): void {
    const room = this.host.room();
    if (!room || files.length === 0) return;
    if (!this.host.online()) {
      const what = files.length === 1 ? `${files[0]?.name || "The file"} was` : `${files.length} files were`;
      this.host.refuse(
        room,
        `You are offline: ${what} not uploaded (nothing is kept for later). Attach again once connected.`,
      );
      return;
    }
    if (this.bar.count + files.length > MAX_UPLOADS) {
      this.host.refuse(
        room,
        `At most ${MAX_UPLOADS} uploads at a time: ${files.length} files were not uploaded. Share fewer at once.`,
      );
      return;
    }
    let caption = this.host.takeCaption(room);
    // All upload at once; their messages go in the order the files came, whichever finishes first.
    let turn: Promise<void> = Promise.resolve();
    for (const file of files) {
      turn = this.upload(room, file, caption, turn);
      caption = "";
    }
  }

  /** Resolves once this file's message is sent or its upload has failed (it says every failure itself). */
  private async upload(room: string, file: File, caption: string, turn: Promise<void>): Promise<void> {
    const name = uploadName(file);
    const startedAt = performance.now();
    let request: UploadRequest | undefined;
    let cancelled = false;
    const item = this.bar.add(name, file.size, caption, () => {
      cancelled = true;
      request?.cancel();
    });
    item.state("preparing…");
    const giveBack = (): void => {
      item.remove();
      if (caption !== "") this.host.restoreCaption(room, caption);
    };
    try {
      const ticket = await this.host.ticket(room);
      if (cancelled) throw new Error("cancelled");
      if (file.size > ticket.maxBytes) {
        giveBack();
        this.bar.announce(`${name} not uploaded: too big`);
        this.host.refuse(room, tooBigText(name, file.size, ticket.maxBytes));
        return;
      }
      request = uploadFile(ticket, file, name, (sent, total) => item.progress(sent, total));
      const stored = await request.done;
      item.state("sending…");
      await turn;
      this.host.send(room, caption, stored);
      item.remove();
      this.bar.announce(`${name} shared`);
      this.host.clearRefusal(room, startedAt);
    } catch (error) {
      giveBack();
      if (cancelled) {
        this.bar.announce(`Upload of ${name} cancelled`);
        return;
      }
      const text = error instanceof Error ? error.message : String(error);
      const retryAfter = (error as { retryAfterSeconds?: number }).retryAfterSeconds;
      this.bar.announce(text);
      this.host.refuse(
        room,
        text.startsWith(name) ? text : `${name} was not uploaded: ${text}`,
        retryAfter && retryAfter * 1000,
      );
    }
  }
}
