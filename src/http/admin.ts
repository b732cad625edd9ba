import { createHash, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { isParleyError } from "../chat/errors.ts";
import type { Logger } from "../log.ts";
import type { BanKind, Moderation } from "../service/moderation.ts";
import { clientIp } from "../transport/conn-limits.ts";
import { AdminThrottle } from "./admin-throttle.ts";
import type { AdminRefusal } from "./metrics.ts";

export interface AdminOptions {
  /** The bearer token; the admin page and API exist only when it is set. */
  token: string;
  moderation: Moderation;
  log: Logger;
  /** Private rooms at run time; absent: the endpoints answer 404. */
  privacy?: RoomPrivacyControl | undefined;
  /** Peers whose `X-Forwarded-For` names the client: wrong tokens are slowed per client, not per proxy. */
  trustedProxies?: ReadonlySet<string>;
  /** Told of each request refused before any action (to count and log it). */
  refused?: (reason: AdminRefusal, ip: string) => void;
  /** Slows wrong tokens per address; one per server. */
  throttle?: AdminThrottle;
}

/** What the admin API may do with private rooms (the chat service's user access does it, on every node). */
export interface RoomPrivacyControl {
  /** Makes `room` private (members it does not admit are put out) or public; resolves with the room's name. */
  setRoomPrivate(room: string, isPrivate: boolean): Promise<string>;
  privateRooms(): string[];
}

// The page asks for the token and keeps it in memory: no cookie, so no CSRF, and nothing inline.
const ADMIN_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const pageDir = new URL("./admin-page/", import.meta.url);
const PAGE_ASSETS = new Map<string, { file: string; type: string }>([
  ["/admin", { file: "index.html", type: "text/html; charset=utf-8" }],
  ["/admin/", { file: "index.html", type: "text/html; charset=utf-8" }],
  ["/admin/admin.js", { file: "admin.js", type: "text/javascript; charset=utf-8" }],
  ["/admin/admin.css", { file: "admin.css", type: "text/css; charset=utf-8" }],
]);

const MAX_BODY_BYTES = 16 * 1024;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

const digest = (value: string): Buffer => createHash("sha256").update(value).digest();

/** Equal-length digests, compared in constant time: neither length nor prefix leaks. */
const tokenMatches = (header: string | undefined, token: string): boolean => {
  const match = /^Bearer (.+)$/.exec(header ?? "");
  return match !== null && timingSafeEqual(digest(match[1] as string), digest(token));
};

type Route = (req: IncomingMessage, params: string[], query: URLSearchParams) => Promise<[number, unknown]>;

/** `/admin` (the page) and `/admin/api/...` (JSON, bearer token). Returns the request handler. */
export const createAdmin = (options: AdminOptions) => {
  const { moderation, log } = options;
  const throttle = options.throttle ?? new AdminThrottle();
  const trustedProxies = options.trustedProxies ?? new Set<string>();
  const assets = new Map(
    [...PAGE_ASSETS].map(([path, a]) => [path, { ...a, body: readFileSync(new URL(a.file, pageDir)) }]),
  );
  const audit = (action: string, fields: object) => log.info({ event: "admin", action, ...fields }, `admin ${action}`);
  const privacy = (): RoomPrivacyControl => {
    if (!options.privacy) throw new HttpError(404, "No such admin endpoint.");
    return options.privacy;
  };

  const routes: Array<[string, RegExp, Route]> = [
    ["GET", /^\/rooms$/, async () => [200, { rooms: moderation.rooms() }]],
    [
      "GET",
      /^\/rooms\/([^/]+)\/members$/,
      async (_req, [room]) => [200, { room, members: moderation.members(room as string) }],
    ],
    [
      "GET",
      /^\/rooms\/([^/]+)\/messages$/,
      async (_req, [room], query) => {
        const before = optionalInt(query.get("before"), "before");
        const limit = Math.min(optionalInt(query.get("limit"), "limit") ?? 50, 500);
        return [200, { room, messages: await moderation.messages(room as string, before, limit) }];
      },
    ],
    [
      "DELETE",
      /^\/rooms\/([^/]+)\/messages\/(\d+)$/,
      async (_req, [room, seq]) => {
        const deleted = await moderation.deleteMessage(room as string, Number(seq));
        if (!deleted) throw new HttpError(404, `No message ${seq} in ${room}.`);
        audit("delete", { room, seq: Number(seq) });
        return [200, { deleted: true, room, seq: Number(seq) }];
      },
    ],
    [
      "POST",
      /^\/kick$/,
      async (req) => {
        const nick = stringField(await readJson(req), "nick");
        if (!moderation.kick(nick)) throw new HttpError(404, `Nobody is called ${nick}.`);
        audit("kick", { nick });
        return [200, { kicked: nick }];
      },
    ],
    ["GET", /^\/private-rooms$/, async () => [200, { rooms: privacy().privateRooms() }]],
    [
      "PUT",
      /^\/rooms\/([^/]+)\/private$/,
      async (_req, [room]) => {
        const name = await privacy().setRoomPrivate(room as string, true);
        audit("private", { room: name });
        return [200, { room: name, private: true }];
      },
    ],
    [
      "DELETE",
      /^\/rooms\/([^/]+)\/private$/,
      async (_req, [room]) => {
        const name = await privacy().setRoomPrivate(room as string, false);
        audit("public", { room: name });
        return [200, { room: name, private: false }];
      },
    ],
    ["GET", /^\/bans$/, async () => [200, { bans: moderation.bans.list() }]],
    [
      "POST",
      /^\/bans$/,
      async (req) => {
        const body = await readJson(req);
        const kind: BanKind = body.ip !== undefined ? "ip" : "nick";
        const value = stringField(body, kind);
        const minutes = body.minutes;
        if (typeof minutes !== "number") throw new HttpError(400, '"minutes" must be a number.');
        const { ban, closed } = moderation.ban(kind, value, minutes);
        audit("ban", { kind, value: ban.value, until: new Date(ban.until).toISOString(), closed });
        return [201, { ban, closed }];
      },
    ],
    [
      "DELETE",
      /^\/bans\/(nick|ip)\/([^/]+)$/,
      async (_req, [kind, value]) => {
        if (!moderation.bans.remove(kind as BanKind, value as string)) throw new HttpError(404, "No such ban.");
        audit("unban", { kind, value });
        return [200, { removed: true }];
      },
    ],
  ];

  const api = async (req: IncomingMessage, path: string, query: URLSearchParams): Promise<[number, unknown]> => {
    const ip = clientIp(req.socket.remoteAddress ?? "", req.headers["x-forwarded-for"], trustedProxies);
    // A slowed address gets no answer about its token, right or wrong, until its wait is over.
    const wait = throttle.retryAfter(ip);
    if (wait > 0) {
      options.refused?.("throttled", ip);
      throw new HttpError(429, `Too many wrong admin tokens from your address; try again in ${wait} s.`, {
        "Retry-After": String(wait),
      });
    }
    if (!tokenMatches(req.headers.authorization, options.token)) {
      throttle.failed(ip);
      options.refused?.("token", ip);
      throw new HttpError(401, "A valid admin token is needed: Authorization: Bearer <token>.");
    }
    throttle.succeeded(ip);
    const sub = path.slice("/admin/api".length);
    let pathMatched = false;
    for (const [method, pattern, route] of routes) {
      const match = pattern.exec(sub);
      if (!match) continue;
      pathMatched = true;
      if (method !== req.method) continue;
      return route(req, match.slice(1).map(decodeParam), query);
    }
    throw new HttpError(pathMatched ? 405 : 404, pathMatched ? "Method not allowed." : "No such admin endpoint.");
  };

  return (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? "/", "http://parley");
    const path = url.pathname;
    if (path === "/admin/api" || path.startsWith("/admin/api/")) {
      api(req, path, url.searchParams).then(
        ([status, body]) => json(res, status, body),
        (error: unknown) => {
          if (error instanceof HttpError) json(res, error.status, { error: error.message }, error.headers);
          else if (isParleyError(error)) json(res, 400, { error: error.message, code: error.code });
          else {
            log.error({ event: "admin_error", err: error }, "admin API failed");
            json(res, 500, { error: "The action failed; see the server log." });
          }
        },
      );
      return;
    }
    const asset = assets.get(path);
    if (!asset || (req.method !== "GET" && req.method !== "HEAD")) {
      json(res, asset ? 405 : 404, { error: asset ? "Method not allowed." : "Not found." });
      return;
    }
    res.writeHead(200, {
      "Content-Type": asset.type,
      "Content-Length": asset.body.length,
      "Cache-Control": "no-cache",
      "Content-Security-Policy": ADMIN_CSP,
    });
    res.end(req.method === "HEAD" ? "" : asset.body);
  };
};

const json = (res: ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}): void => {
  const text = `${JSON.stringify(body)}\n`;
  const headers: Record<string, string | number> = {
    ...extra,
    "Content-Type": "application/json",
    "Content-Length": Buffer.byteLength(text),
    "Cache-Control": "no-store",
  };
  if (status === 401) headers["WWW-Authenticate"] = 'Bearer realm="parley-admin"';
  res.writeHead(status, headers);
  res.end(text);
};

const readJson = (req: IncomingMessage): Promise<Record<string, unknown>> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk); // past it, read on and drop, then answer 413
    });
    req.on("error", reject);
    req.on("end", () => {
      if (size > MAX_BODY_BYTES) {
        reject(new HttpError(413, "The request body is too large."));
        return;
      }
      try {
        const parsed: unknown = JSON.parse(Buffer.concat(chunks).toString("utf8"));
        if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new Error("not an object");
        resolve(parsed as Record<string, unknown>);
      } catch {
        reject(new HttpError(400, "The body must be a JSON object."));
      }
    });
  });

const decodeParam = (raw: string): string => {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new HttpError(400, "Bad percent-encoding in the path.");
  }
};

const stringField = (body: Record<string, unknown>, key: string): string => {
  const value = body[key];
  if (typeof value !== "string" || value === "") throw new HttpError(400, `"${key}" must be a non-empty string.`);
  return value;
};

const optionalInt = (raw: string | null, name: string): number | undefined => {
  if (raw === null) return undefined;
  const value = Number(raw);
  if (raw === "" || !Number.isSafeInteger(value) || value < 0)
    throw new HttpError(400, `${name} must be a whole number.`);
  return value;
};
