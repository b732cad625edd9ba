/**
 * One file sent to the server (docs/files.md: `POST /api/v1/rooms/{room}/files?name=…`, the raw bytes as the body,
 * the upload ticket in `Authorization`). XMLHttpRequest, not fetch: only it reports upload progress. A refusal
 * comes back as an RFC 9457 problem; `refusalText` turns it into a sentence that says what to do.
 */
import { formatSize } from "./file-card.ts";

/** What the server said to `upload_ticket`: where to send, with what, and how big a file may be. */
export interface UploadTicket {
  ticket: string;
  url: string;
  maxBytes: number;
}

/** The server's answer to an upload: the id to attach to a message. */
export interface StoredFile {
  id: string;
  name: string;
  size: number;
  type: string;
}

/** A refused or failed upload: `status` 0 when the request never got an answer (network, cancelled). */
export class UploadRefused extends Error {
  readonly status: number;
  readonly retryAfterSeconds?: number;

  constructor(message: string, status: number, retryAfterSeconds?: number) {
    super(message);
    this.status = status;
    this.retryAfterSeconds = retryAfterSeconds;
    this.name = "UploadRefused";
  }
}

export interface Problem {
  status: number;
  detail?: string;
  code?: string;
}

/** The file is larger than the server takes: said before anything is sent. */
export const tooBigText = (name: string, size: number, maxBytes: number): string =>
  `${name} is ${formatSize(size)}: files up to ${formatSize(maxBytes)} can be shared here.`;

/** A sentence for the person who dropped the file: what happened, and what they can do. */
export const refusalText = (name: string, problem: Problem, retryAfterSeconds?: number): string => {
  const detail = problem.detail ? ` (${problem.detail.replace(/\.$/, "")})` : "";
  switch (problem.status) {
    case 0:
      return `${name} was not uploaded: the connection to the server failed. Try again.`;
    case 401:
      return `${name} was not uploaded: the upload ticket was refused or expired. Try again.`;
    case 403:
      return `${name} was not uploaded: only members of the room can share files in it${detail}.`;
    case 413:
      return problem.code === "quota_exceeded"
        ? `${name} was not uploaded: your files would be over your storage quota${detail}. Delete some shared files first.`
        : `${name} was not uploaded: it is larger than the server takes${detail}.`;
    case 415:
      return `${name} was not uploaded: its contents are not the type its name or browser claimed${detail}.`;
    case 507:
      return `${name} was not uploaded: there is no room left for it${detail}.`;
    case 429: {
      const wait =
        retryAfterSeconds === undefined ? "in a moment" : `in ${Math.max(1, Math.ceil(retryAfterSeconds))} s`;
      return `${name} was not uploaded: too many uploads at once. Try again ${wait}.`;
    }
    default:
      return `${name} was not uploaded${detail || ` (the server answered ${problem.status})`}.`;
  }
};

const parseProblem = (status: number, body: string): Problem => {
  try {
    const parsed: unknown = JSON.parse(body);
    if (typeof parsed === "object" && parsed !== null) {
      const { detail, code } = parsed as { detail?: unknown; code?: unknown };
      return {
        status,
        ...(typeof detail === "string" ? { detail } : {}),
        ...(typeof code === "string" ? { code } : {}),
      };
    }
  } catch {
    // not a problem document (a proxy's page): the status says enough
  }
  return { status };
};

const parseStored = (body: string): StoredFile | undefined => {
  try {
    const parsed = JSON.parse(body) as Partial<StoredFile>;
    if (typeof parsed.id === "string" && typeof parsed.name === "string" && typeof parsed.size === "number") {
      return { id: parsed.id, name: parsed.name, size: parsed.size, type: String(parsed.type ?? "") };
    }
  } catch {
    // fall through
  }
  return undefined;
};

export interface UploadRequest {
  done: Promise<StoredFile>;
  /** Stops the upload: `done` rejects with status 0 and `cancelled` true. */
  cancel(): void;
  readonly cancelled: boolean;
}

/** Sends `file` with its ticket; `progress` gets the bytes sent so far. */
export const uploadFile = (
  ticket: UploadTicket,
  file: Blob,
  name: string,
  progress: (sent: number, total: number) => void,
): UploadRequest => {
  const xhr = new XMLHttpRequest();
  let cancelled = false;
  const done = new Promise<StoredFile>((resolve, reject) => {
    const url = `${ticket.url}${ticket.url.includes("?") ? "&" : "?"}name=${encodeURIComponent(name)}`;
    xhr.open("POST", url);
    xhr.setRequestHeader("Authorization", `Ticket ${ticket.ticket}`);
    xhr.setRequestHeader("Content-Type", file.type || "application/octet-stream");
    xhr.upload.addEventListener("progress", (event) =>
      progress(event.loaded, event.lengthComputable ? event.total : file.size),
    );
    xhr.addEventListener("load", () => {
      const stored = xhr.status === 201 || xhr.status === 200 ? parseStored(xhr.responseText) : undefined;
      if (stored) {
        resolve(stored);
        return;
      }
      const retry = Number(xhr.getResponseHeader("Retry-After"));
      const retryAfter = Number.isFinite(retry) && retry > 0 ? retry : undefined;
      const problem =
        stored === undefined && xhr.status < 300
          ? { status: 502, detail: "the server's answer was not understood" }
          : parseProblem(xhr.status, xhr.responseText);
      reject(new UploadRefused(refusalText(name, problem, retryAfter), problem.status, retryAfter));
    });
    xhr.addEventListener("error", () => reject(new UploadRefused(refusalText(name, { status: 0 }), 0)));
    xhr.addEventListener("abort", () => reject(new UploadRefused(`${name}: upload cancelled.`, 0)));
    xhr.send(file);
  });
  return {
    done,
    cancel: () => {
      cancelled = true;
      xhr.abort();
    },
    get cancelled() {
      return cancelled;
    },
  };
};
