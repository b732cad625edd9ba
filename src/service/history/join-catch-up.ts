import { ParleyError } from "../../chat/errors.ts";
import type { ChatMessage } from "../../chat/message.ts";
import {
  encodeMessage,
  historyPieces,
  type ResumeResult,
  type ServerEvent,
  snapshotEvent,
} from "../../protocol/json.ts";
import { textOf } from "../../protocol/text.ts";
import type { HistoryStore } from "../../store/history-store.ts";
import type { RoomOrder } from "../room-order.ts";
import type { RoomSub, Session } from "../session.ts";
import { type PageRange, type PageSent, sendPaged } from "./paged-send.ts";

type JoinedEvent = Extract<ServerEvent, { type: "joined" }>;

/** What a member's catch-up on a room it joined uses of the service. */
export interface CatchUpHost {
  readonly store: HistoryStore;
  /** A page's size when the join names none, and the most it may name. */
  readonly historyLimit: number;
  readonly maxHistoryLimit: number;
  /** Told of each resume from `since`: complete, or with part of the gap lost (for metrics). */
  readonly resumed?: ((complete: boolean) => void) | undefined;
  readonly order: Pick<RoomOrder, "isStarted" | "ensureStarted" | "settle" | "position">;
  /** Who is in the room, across the cluster. */
  snapshot(room: string): Promise<string[]>;
  /** The pictures of members connected here, by nickname. */
  pictures(room: string): Record<string, string>;
  /** What is batched for the rooms goes out now. */
  flush(): void;
  /** Caught up: live messages now go straight to the sub. */
  goLive(room: string, sub: RoomSub): void;
  /** The `joined` reply's unread count for this session (signed in), messages up to `lastSeq`. */
  joinedUnread(session: Session, room: string, lastSeq: number): Promise<number | undefined>;
  leave(session: Session, room: string, confirm: boolean): void;
}

export interface CatchUpResult {
  /** The highest seq sent or covered; live messages above it follow. */
  lastSeq: number;
  resume: ResumeResult | null;
}

/** Sends the messages of a range to the member, paced (paged-send.ts); undefined when it stopped. */
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
  if (since === undefined) return { lastSeq: await latestPage(), resume: null };

  const gapLost = since < bounds.last && (bounds.first === 0 || bounds.first > since + 1);
  if (since > bounds.last || gapLost) {
    return { lastSeq: await latestPage(), resume: { since, complete: false, missed: 0 } };
  }
  const sent = since < bounds.last ? await send({ after: since, until, limit: Number.MAX_SAFE_INTEGER }) : undefined;
  return {
    lastSeq: Math.max(since, bounds.last),
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

/** A Cookbook client's join: no history is pushed at it; only what arrived while subscribing. */
export const catchUpText = async (host: CatchUpHost, session: Session, room: string, sub: RoomSub): Promise<void> => {
  // Started (always, with one node's broker): no async call and await per join for nothing to do.
  if (!host.order.isStarted(room)) {
    try {
      await host.order.ensureStarted(room);
    } catch {
      // the store is away: live messages of this room reach this node once it is back
    }
  }
  if (session.subs.get(room) !== sub) return; // left or closed while subscribing or starting
  host.flush();
  for (const message of sub.backlog) {
    const line = textOf(message);
    if (line !== null) session.link.send(line);
  }
  host.goLive(room, sub);
};

/** A JSON member's catch-up on a room it joined: history (paced), then the live stream. */
export const catchUpJson = async (
  host: CatchUpHost,
  session: Session,
  room: string,
  sub: RoomSub,
  since: number | undefined,
  limit: number | undefined,
): Promise<void> => {
  if (session.subs.get(room) !== sub) return; // left or closed while waiting its turn
  const pageLimit = Math.min(Math.max(limit ?? host.historyLimit, 0), host.maxHistoryLimit);
  const { store, order } = host;
  try {
    const result = await catchUp(store, room, since, pageLimit, (range) =>
      sendPaged(session.link, store, room, range, () => session.subs.get(room) === sub),
    );
    if (session.subs.get(room) !== sub) return; // left or closed meanwhile
    // Messages up to lastSeq may still be on their way from other nodes: wait until this node
    // has handed them on, so none reaches this member twice or after a later one.
    await order.settle(room, result.lastSeq);
    const bridged = await bridgeGap(store, order.position(room), room, sub, result.lastSeq);
    if (bridged.length > 0 && session.subs.get(room) === sub) {
      session.link.send(historyPieces(room, bridged).join(""));
    }
    let lastSeq = bridged.at(-1)?.seq ?? result.lastSeq;
    const unread = await host.joinedUnread(session, room, lastSeq);
    const members = await host.snapshot(room);
    if (session.subs.get(room) !== sub) return;
    if (result.resume) host.resumed?.(result.resume.complete);
    host.flush(); // what is already batched for the room goes out before this member joins the stream
    if (result.resume) result.resume.missed += bridged.length;
    session.reply(snapshotEvent(room, members, host.pictures(room)));
    const joined: JoinedEvent = { type: "joined", room, lastSeq, resume: result.resume };
    if (unread !== undefined) joined.unread = unread;
    session.reply(joined);
    for (const message of sub.backlog) {
      if (message.seq > lastSeq) {
        session.link.send(encodeMessage(message));
        lastSeq = message.seq;
      }
    }
    host.goLive(room, sub);
  } catch {
    if (session.subs.get(room) !== sub) return;
    session.fail(new ParleyError("store_unavailable", `History of ${room} could not be read.`), { room });
    host.leave(session, room, false);
  }
};
