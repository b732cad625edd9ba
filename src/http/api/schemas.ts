import { z } from "@hono/zod-openapi";
import { RIGHTS } from "../../api-keys/keys.ts";
import { MAX_ROOM_LENGTH } from "../../chat/room-name.ts";
import { EVENT_TYPES } from "../../webhooks/endpoints.ts";

/** Longest text a message may carry over the HTTP API (characters). */
export const MAX_API_TEXT = 4000;
/** Most messages one history page may hold, whatever `limit` asks. */
export const MAX_PAGE = 1000;

export const RoomParam = z.object({
  room: z
    .string()
    .min(1)
    .max(MAX_ROOM_LENGTH)
    .openapi({ param: { name: "room", in: "path" }, example: "deploys" }),
});

export const Message = z
  .object({
    room: z.string(),
    seq: z.number().int().min(1),
    id: z.string(),
    nick: z.string(),
    text: z.string(),
    ts: z.number().int(),
    replyTo: z.number().int().optional().openapi({ description: "the seq of the message this one answers" }),
    edited: z.number().int().optional().openapi({ description: "when it was last edited (ms)" }),
    deleted: z.literal(true).optional().openapi({ description: "deleted: the text is gone (empty)" }),
    reactions: z.array(z.object({ emoji: z.string(), nicks: z.array(z.string()) })).optional(),
    file: z
      .object({
        id: z.string(),
        name: z.string(),
        size: z.number().int(),
        type: z.string(),
        image: z.object({ width: z.number().int(), height: z.number().int() }).optional(),
      })
      .optional()
      .openapi({ description: "the file it carries: GET /files/{id} (docs/files.md)" }),
  })
  .openapi("Message", {
    example: { room: "deploys", seq: 42, id: "0b9e…", nick: "bot:ci", text: "deploy done", ts: 1_780_000_000_000 },
  });

export const PublishBody = z
  .object({
    text: z.string().max(MAX_API_TEXT),
    file: z
      .string()
      .min(1)
      .max(128)
      .optional()
      .openapi({ description: "the id of this key's upload (POST /rooms/{room}/files) the message carries, once" }),
    user: z
      .object({
        id: z.string().min(1).max(128),
        name: z.string().min(1).max(64),
      })
      .optional()
      .openapi({
        description:
          "Publish as this user of yours (a key with publish_as_user): shown under `name`, reserved for `id` as a signed-in user's name is",
      }),
  })
  .refine((body) => body.text !== "" || body.file !== undefined, { message: "text is empty", path: ["text"] })
  .openapi("PublishBody", { example: { text: "deploy 1.4.2 done" } });

export const Published = z.object({ message: Message, duplicate: z.boolean() }).openapi("Published", {
  example: {
    message: {
      room: "deploys",
      seq: 42,
      id: "0b9e…",
      nick: "bot:ci",
      text: "deploy 1.4.2 done",
      ts: 1_780_000_000_000,
    },
    duplicate: false,
  },
});

export const IdempotencyHeader = z.object({
  "idempotency-key": z
    .string()
    .min(1)
    .max(128)
    .optional()
    .openapi({
      param: { in: "header", description: "Retries with the same key store the message once (its cid)" },
      example: "ci-run-8812",
    }),
});

export const HistoryQuery = z.object({
  since: z.coerce
    .number()
    .int()
    .min(0)
    .optional()
    .openapi({ param: { name: "since", in: "query" }, example: 40 }),
  before: z.coerce
    .number()
    .int()
    .min(1)
    .optional()
    .openapi({ param: { name: "before", in: "query" } }),
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_PAGE)
    .optional()
    .openapi({ param: { name: "limit", in: "query" }, example: 50 }),
});

/** An edit, delete or reaction: `seq` the message changed, `at` its own seq, `message` the message now. */
export const Change = z
  .object({
    type: z.enum(["edit", "delete", "react"]),
    room: z.string(),
    seq: z.number().int(),
    at: z.number().int(),
    id: z.string(),
    nick: z.string(),
    ts: z.number().int(),
    emoji: z.string().optional(),
    on: z.boolean().optional(),
    message: Message,
  })
  .openapi("Change");

export const History = z
  .object({
    room: z.string(),
    messages: z.array(Message),
    changes: z.array(Change).optional().openapi({ description: "the changes among these seqs, when any" }),
  })
  .openapi("History", { example: { room: "deploys", messages: [] } });

export const PresenceList = z
  .object({ room: z.string(), members: z.array(z.string()) })
  .openapi("Presence", { example: { room: "deploys", members: ["alice", "bob"] } });

export const RoomList = z
  .object({ rooms: z.array(z.string()) })
  .openapi("RoomList", { example: { rooms: ["deploys", "lobby"] } });

export const ProblemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.string(),
  })
  .openapi("Problem", {
    example: {
      type: "about:blank",
      title: "Forbidden",
      status: 403,
      detail: "This key may not read secret.",
      code: "forbidden",
    },
  });

/** Room names or patterns (`*`: any run of characters), as API keys and webhook endpoints are scoped. */
const RoomPatterns = z
  .array(
    z
      .string()
      .min(1)
      .max(MAX_ROOM_LENGTH)
      .regex(/^[A-Za-z0-9._*-]+$/),
  )
  .min(1)
  .max(50);

export const NewKey = z
  .object({
    name: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$/)
      .openapi({ example: "ci" }),
    rooms: RoomPatterns,
    rights: z.array(z.enum(RIGHTS)).min(1),
  })
  .openapi("NewKey", { example: { name: "ci", rooms: ["deploys"], rights: ["publish"] } });

/** `GET`/`PUT` answers about a key; never its secret (shown once, at creation). */
export const KeyView = z.object({
  id: z.string(),
  name: z.string(),
  rooms: z.array(z.string()),
  rights: z.array(z.enum(RIGHTS)),
  createdAt: z.number().int(),
  revokedAt: z.number().int().nullable(),
});

/** A key's requests on the node that answers, since it started. */
export const KeyUseView = z.object({ requests: z.number().int(), lastUsedAt: z.number().int().nullable() });

/** A webhook endpoint to register: where, which events, which rooms (patterns as API keys have them). */
export const NewEndpoint = z
  .object({
    url: z
      .string()
      .max(2000)
      .refine((value) => {
        try {
          const url = new URL(value);
          return (url.protocol === "https:" || url.protocol === "http:") && url.username === "" && url.password === "";
        } catch {
          return false;
        }
      }, "must be an http:// or https:// URL without credentials")
      .openapi({ example: "https://example.com/parley-hook" }),
    events: z.array(z.enum(EVENT_TYPES)).min(1).max(EVENT_TYPES.length),
    rooms: RoomPatterns,
  })
  .openapi("NewWebhookEndpoint", {
    example: { url: "https://example.com/parley-hook", events: ["message.created"], rooms: ["deploys", "team-*"] },
  });

/** An endpoint as the admin API shows it: never its secret. `figures` are the answering node's, since it started. */
export const EndpointView = z.object({
  id: z.string(),
  url: z.string(),
  events: z.array(z.enum(EVENT_TYPES)),
  rooms: z.array(z.string()),
  createdAt: z.number().int(),
  failingSince: z.number().int().nullable(),
  failures: z.number().int(),
  nextAttemptAt: z.number().int(),
  lastAttemptAt: z.number().int().nullable(),
  lastSuccessAt: z.number().int().nullable(),
  lastStatus: z.number().int().nullable(),
  lastError: z.string().nullable(),
  disabledAt: z.number().int().nullable(),
  disabledReason: z.string().nullable(),
  figures: z.object({
    delivered: z.number().int(),
    failed: z.number().int(),
    meanMs: z.number().nullable(),
    maxMs: z.number().nullable(),
  }),
});
