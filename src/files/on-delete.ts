import type { NewMessage } from "../chat/message.ts";
import { overriding } from "../overriding.ts";
import type { AppendResult, HistoryStore } from "../store/history-store.ts";

/**
 * The history store, telling `deleted(room, seq)` after each delete it stored (an author's, an
 * administrator's, from any path), so the file that message carried goes at once instead of at the
 * next full sweep. Everything else is the store's own.
 */
export const tellingDeletes = (inner: HistoryStore, deleted: (room: string, seq: number) => void): HistoryStore => {
  // The store's own append read once (`inner` may be a Proxy, whose every read costs a trap), and a
  // message that is not a delete goes straight to the store: no promise of its own on the hot path.
  const appendInner = inner.append.bind(inner);
  const append = (message: NewMessage): Promise<AppendResult> => {
    const change = message.change;
    if (change?.kind !== "delete") return appendInner(message);
    return appendInner(message).then((result) => {
      if (!result.duplicate && !result.refused) deleted(message.room, change.target);
      return result;
    });
  };
  return overriding(inner, { append });
};
