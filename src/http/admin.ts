import { readFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { getRequestListener, type HttpBindings } from "@hono/node-server";
import { type Context, Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { isParleyError } from "../chat/errors.ts";
import type { Logger } from "../log.ts";
import type { BanKind, Moderation } from "../service/moderation.ts";
import { type AdminGateOptions, checkAdmin } from "./admin-gate.ts";
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
  ["/admin/admin-integrations.js", { file: "admin-integrations.js", type: "text/javascript; charset=utf-8" }],
  ["/admin/admin.css", { file: "admin.css", type: "text/css; charset=utf-8" }],
]);

const MAX_BODY_BYTES = 16 * 1024;

class HttpError extends Error {
  readonly status: number;
  readonly headers: Record<string, string>;

  constructor(status: number, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.status = status;
    this.headers = headers;
  }
}

type AdminEnv = { Bindings: HttpBindings };

/** `/admin` (the page) and `/admin/api/...` (JSON, bearer token). Returns the request handler. */
export const createAdmin = (options: AdminOptions) => {
  const { moderation, log } = options;
  const gate: AdminGateOptions = {
    token: options.token,
    throttle: options.throttle ?? new AdminThrottle(),
    trustedProxies: options.trustedProxies ?? new Set<string>(),
    refused: options.refused,
  };
  const assets = new Map(
    [...PAGE_ASSETS].map(([path, a]) => [path, { ...a, body: readFileSync(new URL(a.file, pageDir)) }]),
  );
  const audit = (action: string, fields: object) => log.info({ event: "admin", action, ...fields }, `admin ${action}`);
  const privacy = (): RoomPrivacyControl => {
    if (!options.privacy) throw new HttpError(404, "No such admin endpoint.");
    return options.privacy;
  };

  // One framework for the HTTP side: the admin API on Hono, as /api/v1 and /admin/api/keys are.
  const api = new Hono<AdminEnv>().basePath("/admin/api");
  api.onError((error, c) => {
    if (error instanceof HttpError) return answer(c, error.status, { error: error.message }, error.headers);
    if (isParleyError(error)) return answer(c, 400, { error: error.message, code: error.code });
    log.error({ event: "admin_error", err: error }, "admin API failed");
    return answer(c, 500, { error: "The action failed; see the server log." });
  });
  api.notFound((c) => answer(c, 404, { error: "No such admin endpoint." }));
  api.use(
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: () => {
        throw new HttpError(413, "The request body is too large.");
      },
    }),
  );
  api.use(async (c, next) => {
    const turnedAway = checkAdmin(c.env.incoming, c.req.header("authorization"), gate);
    if (turnedAway?.reason === "throttled") {
      const { wait } = turnedAway;
      throw new HttpError(429, `Too many wrong admin tokens from your address; try again in ${wait} s.`, {
        "Retry-After": String(wait),
      });
    }
    if (turnedAway) throw new HttpError(401, "A valid admin token is needed: Authorization: Bearer <token>.");
    await next();
  });
  const notAllowed = () => {
    throw new HttpError(405, "Method not allowed.");
  };

  api.get("/rooms", (c) => answer(c, 200, { rooms: moderation.rooms() }));
  api.all("/rooms", notAllowed);
  api.get("/rooms/:room/members", (c) => {
    const room = param(c.req.param("room"));
    return answer(c, 200, { room, members: moderation.members(room) });
  });
  api.all("/rooms/:room/members", notAllowed);
  api.get("/rooms/:room/messages", async (c) => {
    const room = param(c.req.param("room"));
    const before = optionalInt(c.req.query("before") ?? null, "before");
    const limit = Math.min(optionalInt(c.req.query("limit") ?? null, "limit") ?? 50, 500);
    return answer(c, 200, { room, messages: await moderation.messages(room, before, limit) });
  });
  api.all("/rooms/:room/messages", notAllowed);
  api.delete("/rooms/:room/messages/:seq{[0-9]+}", async (c) => {
    const room = param(c.req.param("room"));
    const seq = Number(c.req.param("seq"));
    const deleted = await moderation.deleteMessage(room, seq);
    if (!deleted) throw new HttpError(404, `No message ${seq} in ${room}.`);
    audit("delete", { room, seq });
    return answer(c, 200, { deleted: true, room, seq });
  });
  api.all("/rooms/:room/messages/:seq{[0-9]+}", notAllowed);
  api.post("/kick", async (c) => {
    const nick = stringField(await readJson(c.req.raw), "nick");
    if (!moderation.kick(nick)) throw new HttpError(404, `Nobody is called ${nick}.`);
    audit("kick", { nick });
    return answer(c, 200, { kicked: nick });
  });
  api.all("/kick", notAllowed);
  api.get("/private-rooms", (c) => answer(c, 200, { rooms: privacy().privateRooms() }));
  api.all("/private-rooms", notAllowed);
  api.put("/rooms/:room/private", async (c) => {
    const name = await privacy().setRoomPrivate(param(c.req.param("room")), true);
    audit("private", { room: name });
    return answer(c, 200, { room: name, private: true });
  });
  api.delete("/rooms/:room/private", async (c) => {
    const name = await privacy().setRoomPrivate(param(c.req.param("room")), false);
    audit("public", { room: name });
    return answer(c, 200, { room: name, private: false });
  });
  api.all("/rooms/:room/private", notAllowed);
  api.get("/bans", (c) => answer(c, 200, { bans: moderation.bans.list() }));
  api.post("/bans", async (c) => {
    const body = await readJson(c.req.raw);
    const kind: BanKind = body.ip !== undefined ? "ip" : "nick";
    const value = stringField(body, kind);
    const minutes = body.minutes;
    if (typeof minutes !== "number") throw new HttpError(400, '"minutes" must be a number.');
    const { ban, closed } = moderation.ban(kind, value, minutes);
    audit("ban", { kind, value: ban.value, until: new Date(ban.until).toISOString(), closed });
    return answer(c, 201, { ban, closed });
  });
  api.all("/bans", notAllowed);
  api.delete("/bans/:kind{nick|ip}/:value", (c) => {
    const kind = c.req.param("kind") as BanKind;
    const value = param(c.req.param("value"));
    if (!moderation.bans.remove(kind, value)) throw new HttpError(404, "No such ban.");
    audit("unban", { kind, value });
    return answer(c, 200, { removed: true });
  });
  api.all("/bans/:kind{nick|ip}/:value", notAllowed);
  const apiListener = getRequestListener(api.fetch);

  return (req: IncomingMessage, res: ServerResponse): void => {
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    if (path === "/admin/api" || path.startsWith("/admin/api/")) {
      void apiListener(req, res);
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

/** A JSON answer of the admin API; 401s say which scheme is wanted. */
const answer = (c: Context, status: number, body: unknown, extra: Record<string, string> = {}): Response => {
  const headers: Record<string, string> = { ...extra, "Content-Type": "application/json", "Cache-Control": "no-store" };
  if (status === 401) headers["WWW-Authenticate"] = 'Bearer realm="parley-admin"';
  return c.body(`${JSON.stringify(body)}\n`, status as ContentfulStatusCode, headers);
};

/** A path parameter as Hono decoded it; one it could not decode (`%zz`) is refused. */
const param = (value: string): string => {
  if (/%(?![0-9A-Fa-f]{2})/.test(value)) throw new HttpError(400, "Bad percent-encoding in the path.");
  return value;
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

const readJson = async (request: Request): Promise<Record<string, unknown>> => {
  const declared = Number(request.headers.get("content-length") ?? 0);
  if (declared > MAX_BODY_BYTES) throw new HttpError(413, "The request body is too large.");
  const body = Buffer.from(await request.arrayBuffer());
  if (body.length > MAX_BODY_BYTES) throw new HttpError(413, "The request body is too large.");
  try {
    const parsed: unknown = JSON.parse(body.toString("utf8"));
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new Error("not an object");
    return parsed as Record<string, unknown>;
  } catch {
    throw new HttpError(400, "The body must be a JSON object.");
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
