import { ParleyError } from "../chat/errors.ts";
import type { RoomAccess, VerifiedUser } from "../chat/identity.ts";
import { validateRoomName } from "../chat/room-name.ts";
import { parseSearchQuery } from "../chat/search-query.ts";
import { encodeEvent, type SearchFrame } from "../protocol/json.ts";
import { BadCursor, type SearchIndex, type SearchScope, SearchTooCostly } from "../store/search.ts";
import type { Session } from "./session.ts";
import { forbidden } from "./users.ts";

/** Results a page holds when the request names no `limit`, and the most it may name. */
export const SEARCH_PAGE = 20;
export const MAX_SEARCH_PAGE = 50;
/**
 * What a search costs the connection's rate, besides the bytes of its answer: as much as this many
 * bytes of history (4 tokens at 16 KiB a token: a fifth of a second at the default 20/s).
 */
export const SEARCH_COST_BYTES = 64 * 1024;

/** What answering `search` uses of the service. */
export interface SearchHost {
  readonly search: SearchIndex;
  readonly access: RoomAccess;
  isOpen(session: Session): boolean;
}

/** The rooms a connection (or a token) may not read: the private rooms it is not granted. */
export const scopeOf = (access: RoomAccess, identity: VerifiedUser | undefined): SearchScope => ({
  except: access.list().filter((room) => !access.mayEnter(identity, room)),
});

/**
 * Answers `search`: one at a time per connection (a second while one runs is `busy`), within the
 * rooms the connection may read (a private room not granted is never searched, and naming it is
 * `forbidden` as a join would be), then charged to the connection's rate like history.
 */
export const answerSearch = async (host: SearchHost, session: Session, frame: SearchFrame): Promise<void> => {
  const { cid } = frame;
  // Counted with every refusal (parley_errors_sent_total, by code).
  const refuse = (error: ParleyError) => session.fail(error, { cid });
  if (session.searching) {
    refuse(new ParleyError("busy", "A search is already running on this connection; ask again once it is answered."));
    return;
  }
  let room: string | undefined;
  let terms: ReturnType<typeof parseSearchQuery>;
  try {
    terms = parseSearchQuery(frame.query);
    room = frame.room === undefined ? undefined : validateRoomName(frame.room);
    if (room !== undefined && !host.access.mayEnter(session.identity, room)) throw forbidden(room);
    if (frame.since !== undefined && frame.until !== undefined && frame.until <= frame.since) {
      throw new ParleyError("bad_request", '"until" must be after "since".');
    }
  } catch (error) {
    refuse(error instanceof ParleyError ? error : new ParleyError("bad_request", String(error)));
    return;
  }
  session.searching = true;
  let payload: string;
  try {
    const page = await host.search.search({
      terms,
      scope: scopeOf(host.access, session.identity),
      room,
      nick: frame.nick,
      since: frame.since,
      until: frame.until,
      order: frame.order ?? "rank",
      limit: Math.min(Math.max(frame.limit ?? SEARCH_PAGE, 1), MAX_SEARCH_PAGE),
      cursor: frame.cursor,
    });
    const hits = page.hits.map((hit) => ({ ...hit.message, marks: hit.marks }));
    payload = encodeEvent({ type: "search_results", cid, hits, next: page.next, truncated: page.truncated });
  } catch (error) {
    if (error instanceof BadCursor) refuse(new ParleyError("bad_request", error.message));
    else if (error instanceof SearchTooCostly) refuse(new ParleyError("busy", error.message));
    else refuse(new ParleyError("store_unavailable", "The search could not be run; try again."));
    return;
  } finally {
    session.searching = false;
  }
  if (!host.isOpen(session) || session.link.closed) return;
  session.link.send(payload);
  // Charged after the answer: frames past the rate then wait at the socket, searches included.
  await session.link.bulkSent(payload.length + SEARCH_COST_BYTES);
};
