import type { ChatMessage } from "../chat/message.ts";
import type { ResumeResult } from "../protocol/json.ts";
import type { HistoryStore } from "../store/history-store.ts";
import type { PageRange, PageSent } from "./paced.ts";
import type { RoomSub } from "./session.ts";

export interface CatchUpResult {
  /** The highest seq sent or covered; live messages above it follow. */
  lastSeq: number;
  /** The oldest seq the room still holds (0: none), for unread counts. */
  first: number;
  resume: ResumeResult | null;
}

/** Sends the messages of a range to the member, paced (paced.ts); undefined when it stopped. */
export type SendRange = (range: PageRange) => Promise<PageSent | undefined>;

/**
 * What a JSON member gets on joining a room: the latest page, or with `since` exactly the
 * messages after it, however many, up to the room's end as it was when the catch-up began
 * (later messages reach it live). When part of that gap is no longer held (retention), or
 * `since` is beyond the room's end, it says so and sends the latest page.
 */
export const catchUp = async (
  store: HistoryStore,
  room: string,
  since: number | undefined,
  pageLimit: number,
  send: SendRange,
): Promise<CatchUpResult> => {
  const bounds = await store.bounds(room);
  const until = bounds.last + 1;
  const latestPage = async (): Promise<number> => {
    const start = pageLimit > 0 && bounds.last > 0 ? await store.pageStart(room, until, pageLimit) : 0;
    if (start > 0) await send({ after: start - 1, until, limit: pageLimit });
    return bounds.last;
  };
  if (since === undefined) return { lastSeq: await latestPage(), first: bounds.first, resume: null };

  const gapLost = since < bounds.last && (bounds.first === 0 || bounds.first > since + 1);
  if (since > bounds.last || gapLost) {
    return { lastSeq: await latestPage(), first: bounds.first, resume: { since, complete: false, missed: 0 } };
  }
  const sent = since < bounds.last ? await send({ after: since, until, limit: Number.MAX_SAFE_INTEGER }) : undefined;
  return {
    lastSeq: Math.max(since, bounds.last),
    first: bounds.first,
    resume: { since, complete: true, missed: sent?.count ?? 0 },
  };
};

/**
 * When the node started the room from another member's later read, messages between this
 * member's read (`lastSeq`) and the node's position were handed on before this member was
 * listening (its backlog does not start right after `lastSeq`): they are read for it here.
 */
export const bridgeGap = async (
  store: HistoryStore,
  position: number,
  room: string,
  sub: RoomSub,
  lastSeq: number,
): Promise<ChatMessage[]> => {
  if (position <= lastSeq) return [];
  if (sub.backlog.find((m) => m.seq > lastSeq)?.seq === lastSeq + 1) return [];
  return store.after(room, lastSeq, position - lastSeq);
};
