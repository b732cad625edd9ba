import { ParleyError } from "../../chat/errors.ts";
import type { HistoryStore } from "../../store/history-store.ts";
import type { Session } from "../session.ts";
import { sendPaged } from "./paged-send.ts";
import { inReadLane } from "./read-lane.ts";

/** History requests one connection may have queued or running; past it they are refused with `busy`. */
export const MAX_QUEUED_HISTORY = 8;

/** What answering `history` uses of the service. */
export interface HistoryHost {
  readonly store: Pick<HistoryStore, "pageStart" | "part">;
  /** A page's size when the request names none, and the most it may name. */
  readonly historyLimit: number;
  readonly maxHistoryLimit: number;
  /** Told of each request refused because too many were waiting (for metrics). */
  busy?: (() => void) | undefined;
  isOpen(session: Session): boolean;
}

/**
 * Answers `history`: the page of up to `limit` messages before `before`, read and sent in parts
 * at the client's pace, after the session's earlier history reads. A connection with
 * MAX_QUEUED_HISTORY requests already waiting is answered `busy` instead (with the room).
 */
export const answerHistory = async (
  host: HistoryHost,
  session: Session,
  room: string,
  before: number,
  limit: number | undefined,
): Promise<void> => {
  if (!session.member.rooms.has(room)) {
    session.fail(new ParleyError("not_in_room", `You are not in ${room}.`), { room });
    return;
  }
  const { store, historyLimit, maxHistoryLimit, busy } = host;
  const queued = session.historyQueued ?? 0;
  if (queued >= MAX_QUEUED_HISTORY) {
    busy?.();
    const message = `${queued} history requests are already waiting on this connection; ask again once they are answered.`;
    session.fail(new ParleyError("busy", message), { room });
    return;
  }
  session.historyQueued = queued + 1;
  const count = Math.min(Math.max(limit ?? historyLimit, 0), maxHistoryLimit);
  const stillWanted = () => session.member.rooms.has(room) && host.isOpen(session);
  await inReadLane(session, async () => {
    try {
      if (!stillWanted()) return;
      const start = await store.pageStart(room, before, count);
      const range = { after: start - 1, until: before, limit: count };
      const sent = start > 0 ? await sendPaged(session.link, store, room, range, stillWanted) : undefined;
      if (start === 0 || sent?.count === 0) session.reply({ type: "history", room, messages: [] });
    } catch {
      session.fail(new ParleyError("store_unavailable", `History of ${room} could not be read.`), { room });
    }
  }).finally(() => {
    session.historyQueued = (session.historyQueued ?? 1) - 1;
  });
};
