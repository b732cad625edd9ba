import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { hasRight } from "../../api-keys/keys.ts";
import { validateRoomName } from "../../chat/room-name.ts";
import { parseSearchQuery } from "../../chat/search-query.ts";
import { SEARCH_PAGE, scopeOf } from "../../service/search-request.ts";
import { BadCursor, type SearchScope, SearchTooCostly } from "../../store/search.ts";
import { type Caller, callerId, checkRead, mayRead } from "./caller.ts";
import { Problem } from "./problem.ts";
import type { ApiEnv, ApiOptions } from "./routes.ts";
import { ProblemSchema } from "./schemas.ts";
import { SearchQuery, SearchResults } from "./search-schemas.ts";

const problem = (description: string) => ({
  description,
  content: { "application/problem+json": { schema: ProblemSchema } },
});

/**
 * `GET /api/v1/search`: the `search` of JSON v1 over HTTP. A key searches the rooms its patterns
 * let it read, a token the rooms it may enter (private ones only when granted); naming a room
 * outside them is the same 403 as reading its history. One search at a time per key or user.
 */
export const addSearchRoute = (app: OpenAPIHono<ApiEnv>, options: ApiOptions): void => {
  const running = new Set<string>();
  const { access } = options;

  /** The rooms a caller may search: a key's are listed (its patterns match known rooms), a user's are all but private ones not granted. */
  const scopeFor = async (caller: Caller): Promise<SearchScope> => {
    if (caller.kind === "user") return scopeOf(access, caller.identity);
    if (!hasRight(caller.key, "read")) throw new Problem(403, "forbidden", "This key may not read.");
    let stored: string[] | undefined;
    try {
      stored = await options.keys.roomsWithHistory(); // undefined (memory store): rooms with members here, as GET /rooms
    } catch {
      throw new Problem(503, "store_unavailable", "Rooms could not be listed; try again.");
    }
    const known = new Set([...(stored ?? []), ...options.service.hub.roomNames()]);
    return { only: [...known].filter((room) => mayRead(access, caller, room)) };
  };

  app.openapi(
    createRoute({
      method: "get",
      path: "/search",
      summary:
        "Full-text search in the rooms the caller may read: ranked (or newest first), matching words marked, paged",
      security: [{ apiKey: [] }],
      request: { query: SearchQuery },
      responses: {
        200: { description: "A page of results", content: { "application/json": { schema: SearchResults } } },
        400: problem("Bad input (query, dates, cursor)"),
        401: problem("No valid key or token"),
        403: problem("Not allowed in this room"),
        429: problem("Too many requests, or a search of this caller is still running"),
        503: problem("The search took too long, or the store is unavailable"),
      },
    }),
    async (c) => {
      const caller = c.get("caller");
      const query = c.req.valid("query");
      const room = query.room === undefined ? undefined : validateRoomName(query.room);
      if (room !== undefined) checkRead(access, caller, room);
      if (query.since !== undefined && query.until !== undefined && query.until <= query.since) {
        throw new Problem(400, "bad_request", "until must be after since.");
      }
      const terms = parseSearchQuery(query.q); // a ParleyError: 400 with its reason
      const who = callerId(caller);
      if (running.has(who)) {
        throw new Problem(429, "busy", "A search of this caller is still running; ask again once it is answered.", {
          "Retry-After": "1",
        });
      }
      running.add(who);
      try {
        const page = await options.search.search({
          terms,
          scope: await scopeFor(caller),
          room,
          nick: query.nick,
          since: query.since,
          until: query.until,
          order: query.order ?? "rank",
          limit: query.limit ?? SEARCH_PAGE,
          cursor: query.cursor,
        });
        const hits = page.hits.map((hit) => ({ ...hit.message, marks: hit.marks }));
        return c.json({ hits, next: page.next, truncated: page.truncated }, 200);
      } catch (error) {
        if (error instanceof Problem) throw error;
        if (error instanceof BadCursor) throw new Problem(400, "bad_request", error.message);
        if (error instanceof SearchTooCostly) throw new Problem(503, "busy", error.message);
        throw new Problem(503, "store_unavailable", "The search could not be run; try again.");
      } finally {
        running.delete(who);
      }
    },
  );
};
