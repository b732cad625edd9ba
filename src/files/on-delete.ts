import type { NewMessage } from "../chat/message.ts";
import type { AppendResult, HistoryStore } from "../store/history-store.ts";

/**
 * The history store, telling `deleted(room, seq)` after each delete it stored (an author's, an
 * administrator's, from any path), so the file that message carried goes at once instead of at the
 * next full sweep. Everything else is the store's own.
 */
export const tellingDeletes = (inner: HistoryStore, deleted: (room: string, seq: number) => void): HistoryStore =>
  new Proxy(inner, {
    get(target, prop) {
      if (prop === "append") {
        return async (message: NewMessage): Promise<AppendResult> => {
          const result = await target.append(message);
          const change = message.change;
          if (change?.kind === "delete" && !result.duplicate && !result.refused) deleted(message.room, change.target);
          return result;
        };
      }
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
