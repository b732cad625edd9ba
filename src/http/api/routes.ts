import type { HttpBindings } from "@hono/node-server";
import { RESPONSE_ALREADY_SENT } from "@hono/node-server/utils/response";
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import type { Context, Next } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { ApiKeyStore } from "../../api-keys/keys.ts";
import { botNick } from "../../api-keys/keys.ts";
import type { KeyUse } from "../../api-keys/use.ts";
import type { VerifyToken } from "../../auth/tokens.ts";
import type { RoomAccess } from "../../chat/identity.ts";
import { validateRoomName } from "../../chat/room-name.ts";
import type { Logger } from "../../log.ts";
import type { ChatService } from "../../service/chat-service.ts";
import type { FileAttachments } from "../../service/conversation/attach.ts";
import type { HistoryStore } from "../../store/history-store.ts";
import type { SearchIndex } from "../../store/search.ts";
import type { NameReservations } from "../../store/user-store.ts";
import { checkPublishAsUser, userNick } from "./as-user.ts";
import { type Caller, CallerRate, callerId, checkPublish, checkRead, identifyCaller, mayRead } from "./caller.ts";
import { EventStreams } from "./events.ts";
import { historyBody } from "./history-body.ts";
import { asProblem, Problem, problemResponse } from "./problem.ts";
import { publishWithFile } from "./publish-file.ts";
import {
  History,
  HistoryQuery,
  IdempotencyHeader,
  PresenceList,
  ProblemSchema,
  PublishBody,
  Published,
  RoomList,
  RoomParam,
} from "./schemas.ts";
import { addSearchRoute } from "./search-route.ts";
import type { RateLimiter } from "./shared-rate.ts";
import type { SseOptions, StreamEnd } from "./sse.ts";

export interface ApiOptions {
  service: ChatService;
  store: HistoryStore;
  search: SearchIndex;
  keys: ApiKeyStore;
  access: RoomAccess;
  verifyToken?: VerifyToken | undefined;
  log: Logger;
  historyLimit: number;
  maxHistoryLimit: number;
  /** Requests per second per key (or user), and the burst above it; 0: no limit. */
  rate: { perSecond: number; burst: number };
  /** Budgets shared by a cluster's nodes (Redis); absent: each node keeps its own. */
  limiter?: RateLimiter;
  sse: SseOptions;
  /** Told of each authenticated request of a key (the admin list shows it). */
  keyUse?: KeyUse;
  /** Reserved names of signed-in users: a message published as a user shows their name, held for them. */
  users: NameReservations;
  /** Files (docs/files.md): a published message may carry the key's upload. */
  files?: FileAttachments | undefined;
  /** Counts for /metrics: each request's outcome per route, and SSE streams opened and closed. */
  observe?: ApiObserver;
}

export interface ApiObserver {
  request(route: string, status: number): void;
  stream(event: "opened" | StreamEnd): void;
}

/** A search costs as many of the caller's requests as this (the rate of --api-rate). */
const SEARCH_REQUEST_COST = 4;

/** Bodies past this size are refused with 413 before they are parsed. */
export const MAX_API_BODY_BYTES = 16 * 1024;

export type ApiEnv = { Bindings: HttpBindings; Variables: { caller: Caller } };

const problems = {
  400: { description: "Bad input", content: { "application/problem+json": { schema: ProblemSchema } } },
  401: { description: "No valid key or token", content: { "application/problem+json": { schema: ProblemSchema } } },
  403: { description: "Not allowed in this room", content: { "application/problem+json": { schema: ProblemSchema } } },
  429: { description: "Too many requests", content: { "application/problem+json": { schema: ProblemSchema } } },
} as const;

const security = [{ apiKey: [] }];

const roomOf = (raw: string): string => validateRoomName(raw);

/** `/api/v1`: publish, history, presence, rooms, server-sent events and search, with its OpenAPI document. */
export const createApi = (options: ApiOptions) => {
  const { service, store, access } = options;
  const rate: RateLimiter = options.limiter ?? new CallerRate(options.rate.perSecond, options.rate.burst);
  const streams = new EventStreams(options);
  const app = new OpenAPIHono<ApiEnv>({
    defaultHook: (result) => {
      if (!result.success) {
        const issue = result.error.issues[0];
        const where = issue?.path.join(".") || "request";
        throw new Problem(400, "bad_request", `${where}: ${issue?.message ?? "invalid"}`);
      }
    },
  }).basePath("/api/v1");

  app.onError((error) => {
    const problem = asProblem(error);
    if (problem.status >= 500 && !(error instanceof Problem)) {
      options.log.error({ event: "api_error", err: error }, "HTTP API request failed");
    }
    return problemResponse(problem);
  });
  app.notFound(() => problemResponse(new Problem(404, "bad_request", "No such API endpoint.")));

  app.use("*", async (c, next) => {
    await next();
    // The endpoint's template (middleware is "ALL"): a bounded label, whatever refused the request.
    const route = c.req.matchedRoutes.filter((r) => r.method !== "ALL").at(-1)?.path ?? "unmatched";
    options.observe?.request(route, c.res.status);
  });
  app.use(
    "*",
    bodyLimit({
      maxSize: MAX_API_BODY_BYTES,
      onError: () => {
        throw new Problem(413, "bad_request", `The body is larger than ${MAX_API_BODY_BYTES} bytes.`);
      },
    }),
  );
  // Everything but the document needs a caller; each caller has its own rate.
  const authorize = (cost: number) => async (c: Context<ApiEnv>, next: Next) => {
    const caller = await identifyCaller(options, c.req.header("authorization"), c.req.query("token"));
    const wait = await rate.take(callerId(caller), cost);
    if (wait > 0) {
      throw new Problem(429, "rate_limited", `Too many requests for this key; try again in ${wait} s.`, {
        "Retry-After": String(wait),
      });
    }
    if (caller.kind === "key") options.keyUse?.record(caller.key.id);
    c.set("caller", caller);
    await next();
  };
  app.use("/rooms*", authorize(1));
  app.use("/search", authorize(SEARCH_REQUEST_COST));

  app.openapi(
    createRoute({
      method: "get",
      path: "/rooms",
      summary: "Rooms the caller may read: those with history, and those with members on this node",
      security,
      responses: {
        200: { description: "Room names", content: { "application/json": { schema: RoomList } } },
        401: problems[401],
        429: problems[429],
      },
    }),
    async (c) => {
      const caller = c.get("caller");
      const stored = (await options.keys.roomsWithHistory().catch(() => undefined)) ?? [];
      const names = new Set([...stored, ...service.hub.roomNames()]);
      const rooms = [...names].filter((room) => mayRead(access, caller, room)).sort();
      return c.json({ rooms }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/rooms/{room}/messages",
      summary: "Publish a message as the key's bot (nick `bot:<key name>`), or as a user of yours (`user`)",
      security,
      request: {
        params: RoomParam,
        headers: IdempotencyHeader,
        body: { required: true, content: { "application/json": { schema: PublishBody } } },
      },
      responses: {
        201: { description: "Stored and sent", content: { "application/json": { schema: Published } } },
        200: {
          description: "A retry of a stored message (same Idempotency-Key): the same seq",
          content: { "application/json": { schema: Published } },
        },
        ...problems,
        409: {
          description:
            "The Idempotency-Key was used for another text (code cid_conflict), or user.name belongs to another user (nick_taken)",
          content: { "application/problem+json": { schema: ProblemSchema } },
        },
        413: { description: "Body too large", content: { "application/problem+json": { schema: ProblemSchema } } },
      },
    }),
    async (c) => {
      const room = roomOf(c.req.valid("param").room);
      const { text, user, file } = c.req.valid("json");
      let nick: string;
      const key = user ? checkPublishAsUser(c.get("caller"), room) : checkPublish(c.get("caller"), room);
      if (user) nick = await userNick(options.users, user);
      else nick = botNick(key);
      const cid = c.req.valid("header")["idempotency-key"];
      const { message, duplicate } = await publishWithFile(options.files, key.id, room, file, cid, (ref) =>
        service.publishAs(room, nick, text, cid, ref),
      );
      return c.json({ message, duplicate }, duplicate ? 200 : 201);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/rooms/{room}/messages",
      summary: "History: after `since`, before `before`, or the latest; at most `limit`",
      security,
      request: { params: RoomParam, query: HistoryQuery },
      responses: {
        200: { description: "Messages in ascending seq", content: { "application/json": { schema: History } } },
        ...problems,
      },
    }),
    async (c) => {
      const room = roomOf(c.req.valid("param").room);
      checkRead(access, c.get("caller"), room);
      const { since, before, limit } = c.req.valid("query");
      if (since !== undefined && before !== undefined) {
        throw new Problem(400, "bad_request", "Give since or before, not both.");
      }
      const count = Math.min(limit ?? options.historyLimit, options.maxHistoryLimit);
      const rows =
        since !== undefined
          ? await store.after(room, since, count)
          : before !== undefined
            ? await store.before(room, before, count)
            : await store.latest(room, count);
      return c.json(historyBody(room, rows), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/rooms/{room}/presence",
      summary: "Who is in the room, on every node",
      security,
      request: { params: RoomParam },
      responses: {
        200: { description: "Nicknames", content: { "application/json": { schema: PresenceList } } },
        ...problems,
      },
    }),
    async (c) => {
      const room = roomOf(c.req.valid("param").room);
      checkRead(access, c.get("caller"), room);
      return c.json({ room, members: await service.members.members(room) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/rooms/{room}/events",
      summary: "Server-sent events: `message` (id = seq; Last-Event-ID or since resumes exactly), `presence`, `delete`",
      security,
      request: { params: RoomParam, query: HistoryQuery.pick({ since: true }) },
      responses: {
        200: { description: "An event stream", content: { "text/event-stream": { schema: { type: "string" } } } },
        ...problems,
      },
    }),
    async (c) => {
      const room = roomOf(c.req.valid("param").room);
      const caller = c.get("caller");
      checkRead(access, caller, room);
      await streams.open(c.env.outgoing, caller, room, c.req.header("last-event-id"), c.req.valid("query").since);
      return RESPONSE_ALREADY_SENT;
    },
  );

  addSearchRoute(app, options);

  app.openAPIRegistry.registerComponent("securitySchemes", "apiKey", {
    type: "http",
    scheme: "bearer",
    description:
      "An API key (pk_…) from POST /admin/api/keys, or a signed token (reading only; ?token= for EventSource).",
  });
  app.doc31("/openapi.json", {
    openapi: "3.1.0",
    info: { title: "Parley HTTP API", version: "1" },
  });
  return app;
};
