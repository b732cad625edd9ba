import { z } from "@hono/zod-openapi";
import { MAX_ROOM_LENGTH } from "../../chat/room-name.ts";
import { MAX_QUERY_LENGTH } from "../../chat/search-query.ts";
import { MAX_SEARCH_PAGE } from "../../service/search-request.ts";

const EXAMPLE_TS = 1_780_000_000_000;

export const SearchQuery = z.object({
  q: z
    .string()
    .min(1)
    .max(MAX_QUERY_LENGTH)
    .openapi({
      param: { name: "q", in: "query", description: 'Words (all must match), "a phrase", -excluded' },
      example: 'deploy "release 1.4" -staging',
    }),
  room: z
    .string()
    .min(1)
    .max(MAX_ROOM_LENGTH)
    .optional()
    .openapi({ param: { name: "room", in: "query" }, example: "deploys" }),
  nick: z
    .string()
    .min(1)
    .max(64)
    .optional()
    .openapi({ param: { name: "nick", in: "query", description: "Sender, case-insensitive" } }),
  since: z.coerce
    .number()
    .int()
    .min(0)
    .optional()
    .openapi({ param: { name: "since", in: "query", description: "ts >= since (ms since the epoch)" } }),
  until: z.coerce
    .number()
    .int()
    .min(0)
    .optional()
    .openapi({ param: { name: "until", in: "query", description: "ts < until (ms since the epoch)" } }),
  order: z
    .enum(["rank", "newest"])
    .optional()
    .openapi({ param: { name: "order", in: "query", description: "rank (default): best first" }, example: "rank" }),
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_SEARCH_PAGE)
    .optional()
    .openapi({ param: { name: "limit", in: "query" }, example: 20 }),
  cursor: z
    .string()
    .min(1)
    .max(256)
    .optional()
    .openapi({ param: { name: "cursor", in: "query", description: "`next` of the previous page" } }),
});

export const SearchHit = z
  .object({
    room: z.string(),
    seq: z.number().int().min(1),
    id: z.string(),
    nick: z.string(),
    text: z.string(),
    ts: z.number().int(),
    marks: z
      .array(z.tuple([z.number().int().min(0), z.number().int().min(0)]))
      .openapi({ description: "The matching words: [start, end) offsets into text, in UTF-16 code units" }),
  })
  .openapi("SearchHit");

export const SearchResults = z
  .object({
    hits: z.array(SearchHit),
    next: z.string().nullable().openapi({ description: "Pass as cursor for the next page; null at the end" }),
    truncated: z.boolean().openapi({
      description: "The search stopped at its budget before looking at every match: narrow it to see older ones",
    }),
  })
  .openapi("SearchResults", {
    example: {
      hits: [
        {
          room: "deploys",
          seq: 42,
          id: "0b9e…",
          nick: "bot:ci",
          text: "deploy release 1.4 done",
          ts: EXAMPLE_TS,
          marks: [
            [0, 6],
            [7, 18],
          ],
        },
      ],
      next: null,
      truncated: false,
    },
  });
