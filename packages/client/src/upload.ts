import { newCid } from "./outbox.ts";
import type { ChatMessage, ClientFrame, ServerEvent } from "./protocol.ts";
import type { Room } from "./room.ts";
import { ParleyServerError } from "./types.ts";

/** What a message says of the file it carries (docs/files.md). */
export type FileInfo = NonNullable<ChatMessage["file"]>;

export interface UploadOptions {
  /** The file's name as others see it (a `File` has one: its `name` is used when this is left out). */
  name?: string;
  /** The claimed type; the server checks it against the bytes (a lie is refused: `type_mismatch`). */
  type?: string;
  /** The message's text next to the file (default ""). */
  text?: string;
  /** The message's cid, as for `send`. */
  cid?: string;
}

type TicketEvent = Extract<ServerEvent, { type: "upload_ticket" }>;

interface Waiting {
  resolve: (ticket: TicketEvent) => void;
  reject: (error: Error) => void;
}

/** Upload tickets asked for, by cid: the server answers each with `upload_ticket` or an `error` carrying it. */
export class Tickets {
  private readonly waiting = new Map<string, Waiting>();

  private readonly transmit: (frame: ClientFrame) => boolean;

  constructor(transmit: (frame: ClientFrame) => boolean) {
    this.transmit = transmit;
  }

  ask(room: string): Promise<TicketEvent> {
    const cid = `ticket-${newCid()}`;
    return new Promise((resolve, reject) => {
      this.waiting.set(cid, { resolve, reject });
      if (!this.transmit({ type: "upload_ticket", room, cid })) {
        this.waiting.delete(cid);
        reject(new Error("Not connected; upload again once connected."));
      }
    });
  }

  /** true when the event was a ticket's answer. */
  receive(event: ServerEvent): boolean {
    const cid = event.type === "upload_ticket" || event.type === "error" ? event.cid : undefined;
    const waiting = cid === undefined ? undefined : this.waiting.get(cid);
    if (cid === undefined || !waiting) return false;
    this.waiting.delete(cid);
    if (event.type === "upload_ticket") waiting.resolve(event);
    else if (event.type === "error") {
      waiting.reject(new ParleyServerError(event.code, event.message, { room: event.room, cid }));
    }
    return true;
  }

  failAll(error: Error): void {
    for (const waiting of this.waiting.values()) waiting.reject(error);
    this.waiting.clear();
  }
}

/** The page's HTTP origin of a WebSocket URL: ws://host:port/chat/x → http://host:port. */
export const httpOrigin = (wsUrl: string): string => {
  const url = new URL(wsUrl);
  url.protocol = url.protocol === "wss:" ? "https:" : "http:";
  return url.origin;
};

/** `POST` of the bytes with the ticket; the stored file, or a ParleyServerError with the problem's code. */
export const postFile = async (
  origin: string,
  ticket: TicketEvent,
  file: Blob | Uint8Array,
  options: UploadOptions,
): Promise<FileInfo & { sha256: string }> => {
  const name = options.name ?? (file as { name?: unknown }).name;
  if (typeof name !== "string" || name === "") throw new TypeError("upload needs a name: { name: 'report.pdf' }.");
  const headers: Record<string, string> = { Authorization: `Ticket ${ticket.ticket}` };
  const type = options.type ?? (file instanceof Blob && file.type !== "" ? file.type : undefined);
  if (type !== undefined) headers["Content-Type"] = type;
  const size = file instanceof Blob ? file.size : file.byteLength;
  if (size > ticket.max_bytes) {
    throw new ParleyServerError(
      "too_large",
      `The file is ${size} bytes; the server takes at most ${ticket.max_bytes}.`,
      {
        room: ticket.room,
      },
    );
  }
  const body = file instanceof Blob ? file : new Blob([new Uint8Array(file)]);
  const response = await fetch(`${origin}${ticket.url}?name=${encodeURIComponent(name)}`, {
    method: "POST",
    headers,
    body,
  });
  const answer = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  if (response.status !== 201) {
    const code = typeof answer.code === "string" ? answer.code : "unavailable";
    const detail = typeof answer.detail === "string" ? answer.detail : `The upload failed (HTTP ${response.status}).`;
    throw new ParleyServerError(code, detail, { room: ticket.room });
  }
  return answer as unknown as FileInfo & { sha256: string };
};

/** Like a send in the outbox, an upload started before its room is joined waits for the join. */
export const whenJoined = (room: Room): Promise<void> =>
  room.state === "joined"
    ? Promise.resolve()
    : new Promise<void>((resolve, reject) => {
        const offJoined = room.on("joined", () => {
          offJoined();
          offLeft();
          resolve();
        });
        const offLeft = room.on("left", () => {
          offJoined();
          offLeft();
          reject(new Error(`Left ${room.name} before the upload went.`));
        });
      });
