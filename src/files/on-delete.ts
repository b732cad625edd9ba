import type { NewMessage } from "../chat/message.ts";
import type { AppendResult, HistoryStore } from "../store/history-store.ts";

/**
 * The history store, telling `deleted(room, seq)` after each delete it stored (an author's, an
 * administrator's, from any path), so the file that message carried goes at once instead of at the
 * next full sweep. Everything else is the store's own.
 */
export const tellingDeletes = (inner: HistoryStore, deleted: (room: string, seq: number) => void): HistoryStore => {
  // One function for every append (not one per property read), the store's own read once (`inner`
  // may be a Proxy, whose every read costs a trap), and a message that is not a delete goes
  // straight to the store: no promise of its own on the hot path.
  const appendInner = inner.append.bind(inner);
  const append = (message: NewMessage): Promise<AppendResult> => {
    const change = message.change;
    if (change?.kind !== "delete") return appendInner(message);
    return appendInner(message).then((result) => {
      if (!result.duplicate && !result.refused) deleted(message.room, change.target);
      return result;
    });
  };
  return new Proxy(inner, {
    get(target, prop) {
      if (prop === "append") return append;
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
};
