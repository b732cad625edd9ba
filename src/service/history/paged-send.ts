import { historyPieces } from "../../protocol/json.ts";
import { textFrameOfPieces } from "../../protocol/ws-frame.ts";
import type { HistoryStore } from "../../store/history-store.ts";
import type { ClientLink } from "../../transport/client-link.ts";

/** Rows one part reads at most, whatever their size (the byte budget usually stops it first). */
const PART_MAX_ROWS = 500;

/** Messages with `after` < seq < `until`, at most `limit`. */
export interface PageRange {
  after: number;
  until: number;
  limit: number;
}

export interface PageSent {
  /** Messages sent. */
  count: number;
  /** The seq of the last one sent (`range.after` when none). */
  lastSeq: number;
}

/**
 * Reads a page from the store one part at a time, each part at most the connection's bulk
 * budget, and sends each as a `history` event. A part is read only once the client has taken
 * the previous one and its rate budget is out of debt (each part is charged to it by its
 * bytes): what a connection's history work holds is about one part, however many pages it
 * asks for and whether it reads or not. Undefined when it stopped (not wanted any more, closed).
 */
export const sendPaged = async (
  conn: ClientLink,
  store: Pick<HistoryStore, "part">,
  room: string,
  range: PageRange,
  stillWanted: () => boolean,
): Promise<PageSent | undefined> => {
  let lastSeq = range.after;
  let count = 0;
  if (!(await conn.drained())) return undefined;
  while (count < range.limit) {
    if (!stillWanted()) return undefined;
    const limit = Math.min(range.limit - count, PART_MAX_ROWS);
    await bulkTurn();
    const part = await store.part(room, lastSeq, range.until, limit, conn.bulkBudget);
    if (part.length === 0) break;
    if (!stillWanted() || conn.closed) return undefined;
    const frame = textFrameOfPieces(historyPieces(room, part));
    conn.enqueue(frame, false);
    count += part.length;
    lastSeq = (part.at(-1) as { seq: number }).seq;
    if (!(await conn.bulkSent(frame.length))) return undefined;
  }
  return { count, lastSeq };
};

/**
 * Parts of every connection take turns, one per event-loop iteration: the socket reads and
 * writes of everyone else (another room's chat) run between any two, so many clients paging
 * through big history delay a message by one part's work at most, not by all of theirs.
 */
const waitingTurns: Array<() => void> = [];
let turning = false;

const bulkTurn = (): Promise<void> =>
  new Promise((resolve) => {
    waitingTurns.push(resolve);
    if (!turning) {
      turning = true;
      setImmediate(nextTurn);
    }
  });

const nextTurn = (): void => {
  const next = waitingTurns.shift();
  if (!next) {
    turning = false;
    return;
  }
  next(); // its part is read and queued in this callback's microtasks
  setImmediate(nextTurn); // scheduled while immediates run: the next iteration, after its I/O
};
