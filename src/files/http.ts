import type { IncomingMessage, ServerResponse } from "node:http";
import type { ApiKeyStore } from "../api-keys/keys.ts";
import { hasRight, roomMatches } from "../api-keys/keys.ts";
import type { VerifyToken } from "../auth/tokens.ts";
import type { RoomAccess } from "../chat/identity.ts";
import { validateRoomName } from "../chat/room-name.ts";
import { type Caller, CallerRate, identifyCaller, mayRead } from "../http/api/caller.ts";
import { asProblem, Problem, problemBody } from "../http/api/problem.ts";
import type { Logger } from "../log.ts";
import type { StoredFile } from "./file-store.ts";
import { type FileService, hashTicket, refOf, type Uploader } from "./files.ts";
import { contentDisposition, validFileName } from "./names.ts";
import { isSafeInline } from "./sniff.ts";

export interface FileRoutesOptions {
  files: FileService;
  keys: ApiKeyStore;
  access: RoomAccess;
  verifyToken?: VerifyToken | undefined;
  log: Logger;
  /** Counts each request by route template and status class, with the HTTP API's (parley_api_requests_total). */
  observe?: { request(route: string, status: number): void };
}

const UPLOAD_PATH = /^\/api\/v1\/rooms\/([^/]+)\/files$/;
const DOWNLOAD_PATH = /^\/files\/([A-Za-z0-9_-]{1,64})(\/thumb)?$/;

/** Whether `path` is one of the files' routes (the page's HTTP handler hands them here). */
export const isFileRoute = (path: string): boolean => UPLOAD_PATH.test(path) || DOWNLOAD_PATH.test(path);

// Served bytes are never run: no script, no plugin, no frame, even when opened as a document.
const DOWNLOAD_HEADERS = {
  "X-Content-Type-Options": "nosniff",
  "Content-Security-Policy": "sandbox; default-src 'none'",
  "Cross-Origin-Resource-Policy": "same-origin",
  "Cache-Control": "private, max-age=86400",
} as const;

/**
 * `POST /api/v1/rooms/{room}/files` (raw body, streamed) and `GET /files/{id}[/thumb]`, on `node:http`
 * rather than the API's Hono app: the body must reach storage as it arrives, never buffered whole.
 */
export const createFileRoutes = (options: FileRoutesOptions) => {
  const { files, access } = options;
  const perMinute = files.limits.perMinute;
  const rate = new CallerRate(perMinute / 60, perMinute);

  const callerOf = async (req: IncomingMessage, url: URL): Promise<Caller | undefined> => {
    const authorization = req.headers.authorization;
    const token = url.searchParams.get("token") ?? undefined;
    if (authorization === undefined && token === undefined) return undefined;
    return identifyCaller(options, authorization, token);
  };

  /** Who uploads into `room`: a ticket for it, a key that may publish there, a user it admits. */
  const uploaderOf = async (req: IncomingMessage, url: URL, room: string): Promise<Uploader> => {
    const ticket = /^Ticket (\S+)$/.exec(req.headers.authorization ?? "")?.[1];
    if (ticket !== undefined) {
      const held = await files.meta.ticket(hashTicket(ticket), Date.now());
      if (!held) throw new Problem(401, "unauthorized", "The upload ticket is unknown or expired; ask for a new one.");
      if (held.room !== room) throw new Problem(403, "forbidden", `This ticket is for ${held.room}, not ${room}.`);
      return { owner: held.owner, quotaKey: held.quotaKey };
    }
    const caller = await callerOf(req, url);
    if (!caller) throw new Problem(401, "unauthorized", "Uploading needs an API key, a signed token or a ticket.");
    if (caller.kind === "key") {
      if (!hasRight(caller.key, "publish") || !roomMatches(caller.key.rooms, room)) {
        throw new Problem(403, "forbidden", `This key may not publish to ${room}.`);
      }
      return { owner: `key:${caller.key.id}`, quotaKey: `key:${caller.key.id}` };
    }
    if (!access.mayEnter(caller.identity, room)) throw new Problem(403, "forbidden", `You may not post in ${room}.`);
    return { owner: `u:${caller.identity.id}`, quotaKey: `user:${caller.identity.id}` };
  };

  const upload = async (req: IncomingMessage, res: ServerResponse, url: URL, rawRoom: string): Promise<void> => {
    let room: string;
    try {
      room = validateRoomName(decodeURIComponent(rawRoom));
    } catch (error) {
      throw new Problem(400, "bad_request", (error as Error).message);
    }
    const name = validFileName(url.searchParams.get("name"));
    const declared = req.headers["content-length"];
    if (declared === undefined) {
      throw new Problem(411, "bad_request", "Content-Length is required: the size is checked before the body is read.");
    }
    const length = Number(declared);
    if (!Number.isSafeInteger(length) || length < 1) throw new Problem(400, "bad_request", "The file is empty.");
    if (length > files.limits.maxBytes) {
      throw new Problem(413, "too_large", `The file is ${length} bytes; the most is ${files.limits.maxBytes}.`);
    }
    const uploader = await uploaderOf(req, url, room);
    const wait = rate.take(uploader.quotaKey);
    if (wait > 0) {
      throw new Problem(429, "rate_limited", `Too many uploads; try again in ${wait} s.`, {
        "Retry-After": String(wait),
      });
    }
    await files.admit(uploader, length);
    const claimed = req.headers["content-type"];
    const file = await files.receive(req, length, room, name, claimed, uploader);
    sendJson(res, 201, { ...refOf(file), sha256: file.sha256 });
  };

  /** Public-room files to anyone with the id; private-room ones to callers the room admits; unattached ones to their uploader. */
  const mayDownload = async (req: IncomingMessage, url: URL, file: StoredFile): Promise<boolean> => {
    if (file.attachedSeq === null || file.attachedSeq === 0) {
      const uploader = await uploaderOf(req, url, file.room).catch(() => undefined);
      return uploader?.owner === file.owner;
    }
    if (!access.isPrivate(file.room)) return true;
    const caller = await callerOf(req, url).catch(() => undefined);
    return caller !== undefined && mayRead(access, caller, file.room);
  };

  const download = async (req: IncomingMessage, res: ServerResponse, url: URL, id: string, thumb: boolean) => {
    const notFound = new Problem(404, "file_not_found", "No such file (or not yours to see).");
    const file = await files.meta.get(id);
    if (!file || !(await mayDownload(req, url, file))) throw notFound;
    const sha = thumb ? file.thumbSha256 : file.sha256;
    const body = sha ? await files.read(sha) : undefined;
    if (!body) throw notFound;
    const inline = thumb || (file.image !== undefined && isSafeInline(file.type));
    const headers: Record<string, string> = {
      ...DOWNLOAD_HEADERS,
      "Content-Type": thumb ? "image/jpeg" : file.type,
      "Content-Disposition": contentDisposition(
        inline ? "inline" : "attachment",
        thumb ? `${file.name}.jpg` : file.name,
      ),
    };
    if (!thumb) headers["Content-Length"] = String(file.size);
    res.writeHead(200, headers);
    if (req.method === "HEAD") {
      body.destroy();
      res.end();
      return;
    }
    body.on("error", () => res.destroy());
    res.on("close", () => body.destroy());
    body.pipe(res);
  };

  return (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? "/", "http://parley.invalid");
    const uploadMatch = UPLOAD_PATH.exec(url.pathname);
    const downloadMatch = DOWNLOAD_PATH.exec(url.pathname);
    const route = uploadMatch
      ? "/api/v1/rooms/{room}/files"
      : downloadMatch?.[2] !== undefined
        ? "/files/{id}/thumb"
        : "/files/{id}";
    res.once("finish", () => options.observe?.request(route, res.statusCode));
    let work: Promise<void>;
    if (uploadMatch && req.method === "POST") work = upload(req, res, url, uploadMatch[1] as string);
    else if (downloadMatch && (req.method === "GET" || req.method === "HEAD")) {
      work = download(req, res, url, downloadMatch[1] as string, downloadMatch[2] !== undefined);
    } else work = Promise.reject(new Problem(405, "bad_request", "Method not allowed."));
    work.catch((error: unknown) => {
      const problem = asProblem(error);
      if (problem.status >= 500 && !(error instanceof Problem)) {
        options.log.error({ event: "file_error", err: error }, "file request failed");
      }
      sendProblem(req, res, problem);
    });
  };
};

const sendJson = (res: ServerResponse, status: number, body: unknown): void => {
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text) });
  res.end(text);
};

/**
 * A refusal; when the body was not read (refused before it, or cut short), the connection closes
 * after the answer instead of reading what is left of a body nobody wants.
 */
const sendProblem = (req: IncomingMessage, res: ServerResponse, problem: Problem): void => {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const text = `${JSON.stringify(problemBody(problem))}\n`;
  const headers: Record<string, string> = {
    "Content-Type": "application/problem+json",
    "Cache-Control": "no-store",
    "Content-Length": String(Buffer.byteLength(text)),
    ...problem.headers,
  };
  if (!req.complete) headers.Connection = "close";
  if (problem.status === 401) headers["WWW-Authenticate"] = 'Bearer realm="parley-api"';
  res.writeHead(problem.status, headers);
  res.end(text);
};
