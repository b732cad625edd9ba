import type { Broker } from "../broker/broker.ts";
import { ParleyError } from "../chat/errors.ts";
import type { FileRef } from "../chat/message.ts";
import type { AppendResult, HistoryStore } from "../store/history-store.ts";
import type { RoomWatcher, RoomWatchers } from "./room-watchers.ts";

/** What the HTTP API's two entry points use of the service. */
export interface ApiEntryHost {
  readonly options: { readonly store: HistoryStore; readonly broker: Broker; now(): number };
  readonly watchers: Pick<RoomWatchers, "add">;
  /** Runs `work` without waiting for it; a failure is reported. */
  background(what: string, work: Promise<unknown>): void;
  /** Drops the room's broker subscription when nobody here needs it any more. */
  unsubscribeIfEmpty(room: string): void;
}

/**
 * A message from outside the chat (the HTTP API): stored, then spread like `say`'s, as `nick`.
 * A repeated `cid` answers the stored message (`duplicate`); a reused one throws `cid_conflict`.
 */
export const publishAs = async (
  host: ApiEntryHost,
  room: string,
  nick: string,
  text: string,
  cid: string | undefined,
  file?: FileRef,
): Promise<AppendResult> => {
  const { store, broker, now } = host.options;
  let result: AppendResult;
  try {
    result = await store.append({ room, nick, text, ts: now(), cid, file });
  } catch {
    throw new ParleyError("store_unavailable", "The message was not saved; send it again.");
  }
  if (result.conflict) {
    const seq = result.message.seq;
    throw new ParleyError("cid_conflict", `This idempotency key was used in ${room} for another message (seq ${seq}).`);
  }
  if (!result.duplicate) host.background("publish", broker.publish(room, { type: "message", message: result.message }));
  return result;
};

/** Hears `room`'s events (subscribed through the broker) until the returned function is called. */
export const watchRoom = async (host: ApiEntryHost, room: string, watcher: RoomWatcher): Promise<() => void> => {
  const remove = host.watchers.add(room, watcher);
  const stop = () => {
    if (remove()) host.unsubscribeIfEmpty(room);
  };
  try {
    await host.options.broker.subscribe(room);
  } catch (error) {
    stop();
    throw error;
  }
  return stop;
};
