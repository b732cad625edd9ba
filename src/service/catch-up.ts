import type { ChatMessage } from "../chat/message.ts";
import type { ResumeResult } from "../protocol/json.ts";
import type { HistoryStore } from "../store/history-store.ts";
import type { RoomSub } from "./session.ts";

/** Messages per history event while resuming a gap. */
export const RESUME_CHUNK = 500;

export interface CatchUpResult {
  /** The highest seq sent; live messages above it follow. */
  lastSeq: number;
  /** The oldest seq the room still holds (0: none), for unread counts. */
  first: number;
  resume: ResumeResult | null;
}

/**
 * What a JSON member gets on joining a room: the latest page, or with `since` exactly the
 * messages after it, in chunks, however many. When part of that gap is no longer held
 * (retention), or `since` is beyond the room's end, it says so and sends the latest page.
 */
export const catchUp = async (
  store: HistoryStore,
  room: string,
  since: number | undefined,
  pageLimit: number,
  /** Sends one chunk; catch-up waits for it (it may pace itself to the client). */
  send: (messages: ChatMessage[]) => void | Promise<void>,
): Promise<CatchUpResult> => {
  const bounds = await store.bounds(room);
  const latestPage = async (): Promise<number> => {
    const page = pageLimit > 0 ? await store.latest(room, pageLimit) : [];
    if (page.length > 0) await send(page);
    return Math.max(bounds.last, page.at(-1)?.seq ?? 0);
  };
  if (since === undefined) return { lastSeq: await latestPage(), first: bounds.first, resume: null };

  const gapLost = since < bounds.last && (bounds.first === 0 || bounds.first > since + 1);
  if (since > bounds.last || gapLost) {
    return { lastSeq: await latestPage(), first: bounds.first, resume: { since, complete: false, missed: 0 } };
  }
  let cursor = since;
  let missed = 0;
  for (;;) {
    const chunk = await store.after(room, cursor, RESUME_CHUNK);
    if (chunk.length > 0) {
      await send(chunk);
      missed += chunk.length;
      cursor = chunk.at(-1)?.seq ?? cursor;
    }
    if (chunk.length < RESUME_CHUNK) break;
  }
  return { lastSeq: cursor, first: bounds.first, resume: { since, complete: true, missed } };
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
