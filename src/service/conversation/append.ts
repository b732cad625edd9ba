import { randomUUID } from "node:crypto";
import type { RoomEvent } from "../../broker/broker.ts";
import { ParleyError } from "../../chat/errors.ts";
import type { NewMessage } from "../../chat/message.ts";
import type { AppendResult, HistoryStore } from "../../store/history-store.ts";
import type { Session } from "../session.ts";

/** What a client's appends (messages and changes) use of the service. */
export interface AppendHost {
  readonly options: { now(): number };
  /** The store's `append` (the service reads it once: each read through the store's wrappers costs a Proxy trap). */
  appendToStore: HistoryStore["append"];
  /** Publishes on the broker without waiting; a failure is reported under `what`. */
  publish(channel: string, event: RoomEvent, what?: string): void;
}

const connectionOwners = new WeakMap<Session, string>();

/**
 * Who owns what this session sends: a signed-in user by id (on every node, every connection); an
 * anonymous client for the life of its connection only (a random key, never sent).
 */
export const ownerOf = (session: Session): string => {
  if (session.identity) return `u:${session.identity.id}`;
  let key = connectionOwners.get(session);
  if (!key) {
    // Flat, as `flatUuid` says why: kept with every message this connection sends.
    key = `c:${randomUUID()}`.toLowerCase();
    connectionOwners.set(session, key);
  }
  return key;
};

/**
 * Stores a client's message or change (durable before anything else), answers the client (`ack`, or
 * the refusal as an `error` with its `cid`), then publishes it to the room. Resolves with what the
 * store answered when it was stored and published, undefined when refused.
 */
export const appendFrom = async (
  host: AppendHost,
  session: Session,
  input: Omit<NewMessage, "nick" | "ts" | "owner">,
): Promise<AppendResult | undefined> => {
  const { room, cid } = input;
  if (!session.member.rooms.has(room)) {
    session.fail(new ParleyError("not_in_room", `You are not in ${room}; join it first.`), { cid, room });
    return undefined;
  }
  let result: AppendResult;
  try {
    // Every field named, not `{ ...input, nick, … }`: V8 defines properties after a spread in its
    // runtime, one call each (~1.5k instructions apiece per message, callgrind).
    const message: NewMessage = {
      room,
      nick: session.member.nick,
      text: input.text,
      ts: host.options.now(),
      cid,
      owner: ownerOf(session),
      replyTo: input.replyTo,
      change: input.change,
      file: input.file,
    };
    result = await host.appendToStore(message);
  } catch {
    const what = input.change ? "The change" : "The message";
    session.fail(new ParleyError("store_unavailable", `${what} was not saved; send it again.`), { cid, room });
    return undefined;
  }
  const { message, duplicate, conflict, refused } = result;
  if (refused) {
    session.fail(refused, { cid, room });
    return undefined;
  }
  if (conflict) {
    const reused = `This cid was used in ${room} for another ${message.change ? "change" : "message"} (seq ${message.seq}); a new one needs a new cid.`;
    session.fail(new ParleyError("cid_conflict", reused), { cid, room });
    return undefined;
  }
  if (session.member.mode === "json") {
    const { seq, id, ts } = message;
    session.reply({ type: "ack", cid: cid ?? null, room, seq, id, ts, duplicate });
  }
  if (!duplicate) host.publish(room, { type: "message", message });
  return duplicate ? undefined : result;
};
