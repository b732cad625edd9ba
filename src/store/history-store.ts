import { changeKey } from "../chat/conversation.ts";
import type { ParleyError } from "../chat/errors.ts";
import { flatUuid } from "../chat/flat-uuid.ts";
import type { ChatMessage, NewMessage } from "../chat/message.ts";

export interface AppendResult {
  message: ChatMessage;
  /** true when a message with the same room and `cid` was stored before: nothing new was written. */
  duplicate: boolean;
  /**
   * true when that earlier message has another text: the `cid` was reused for a different message,
   * which is refused (`duplicate` is true too, so nothing is written or broadcast).
   */
  conflict: boolean;
  /**
   * A change (`NewMessage.change`) that may not be made: no such message (`not_found`), not the
   * asker's (`forbidden`), a cap (`too_many_reactions`). Nothing was written; `message` means nothing.
   */
  refused?: ParleyError;
}

/** The seq range a room's history still holds: `first` is 0 when the room holds nothing. */
export interface RoomBounds {
  first: number;
  last: number;
}

export interface Retention {
  /** Keep at most this many messages per room (0: no limit). */
  maxMessagesPerRoom: number;
  /** Drop messages older than this many milliseconds (0: no limit). */
  maxAgeMs: number;
}

/**
 * Durable, ordered chat history.
 *
 * Ordering contract: `append` gives each room's messages `seq` 1, 2, 3… in the order the
 * appends were made, with no gap and no reuse, across restarts and across every process
 * sharing the store. When the returned promise resolves the message is durable: it is
 * safe to acknowledge and broadcast it. Appends with the same `(room, cid)` are one message:
 * a repeat with the same text is a `duplicate`, one with another text a `conflict` (nothing stored).
 * Reads return messages in ascending `seq`.
 *
 * A change (edit, delete, react: `NewMessage.change`) is appended the same way, with its own seq,
 * and in the same transaction the changed message's row takes its new state (a delete empties its
 * text). Reads return messages in their current state and change events with the changed
 * message's current state (`change.target`), so applying what a read returns, in any amount, ends
 * in the current state.
 */
export interface HistoryStore {
  /** Resolves when the store can serve (its schema is in place); rejects with a clear reason. */
  start(): Promise<void>;
  append(message: NewMessage): Promise<AppendResult>;
  /** The newest `limit` messages of the room. */
  latest(room: string, limit: number): Promise<ChatMessage[]>;
  /** Up to `limit` messages with seq > `after`. */
  after(room: string, after: number, limit: number): Promise<ChatMessage[]>;
  /** Up to `limit` messages with seq < `before`, the newest of those. */
  before(room: string, before: number, limit: number): Promise<ChatMessage[]>;
  bounds(room: string): Promise<RoomBounds>;
  /**
   * How many messages the room holds with `after` < seq <= `upTo`, change events (edits, deletes,
   * reactions) left out: what a user counts as unread. A message deleted by its author still counts
   * (its tombstone is in the log); one an administrator removed does not. The count stops at `limit`,
   * so a room unread for months costs a bounded read (the page shows such a count as "10000+").
   */
  countMessages(room: string, after: number, upTo: number, limit: number): Promise<number>;
  /**
   * Where the page of the newest `limit` messages with seq < `before` starts: the seq of its
   * oldest message (0 when there is none). The page is then read forward with `part`.
   */
  pageStart(room: string, before: number, limit: number): Promise<number>;
  /**
   * One bounded part of a page: messages with `after` < seq < `until`, ascending, at most
   * `limit` of them and, past the first, no more than `maxBytes` by `partBytes`. A page of big
   * messages is thus never in memory whole, and the text of rows past the budget is not read.
   */
  part(room: string, after: number, until: number, limit: number, maxBytes: number): Promise<ChatMessage[]>;
  /** Removes one message; true when it existed. Its seq is never reused. */
  delete(room: string, seq: number): Promise<boolean>;
  /** Resolves when the store answers; for readiness checks. */
  ping(): Promise<void>;
  /**
   * Makes one tiny durable write outside the history; rejects when writing fails. Readiness uses
   * it after failed appends, so a node nobody sends to still notices that writes work again.
   */
  probeWrite(): Promise<void>;
  /** Writes what is pending, then releases the store. */
  close(): Promise<void>;
}

/** The message a store keeps for `input` at `seq`, with a fresh server id. */
export const storedMessage = (input: NewMessage, seq: number): ChatMessage => {
  const message: ChatMessage = {
    room: input.room,
    seq,
    id: flatUuid(),
    nick: input.nick,
    text: input.text,
    ts: input.ts,
  };
  if (input.replyTo !== undefined) message.replyTo = input.replyTo;
  if (input.file !== undefined) message.file = input.file;
  return message;
};

/**
 * What an append answers when its `(room, cid)` names `earlier`: the same message again, or a reuse
 * of the cid. `earlierKey`: the `changeKey` of `earlier` when it is a change event.
 */
export const repeatOf = (earlier: ChatMessage, input: NewMessage, earlierKey?: string): AppendResult => ({
  message: earlier,
  duplicate: true,
  conflict: input.change
    ? earlierKey !== changeKey(input.change)
    : earlier.change !== undefined || earlier.text !== input.text,
});

/** A change that may not be made: nothing stored. */
export const refusal = (input: NewMessage, error: ParleyError): AppendResult => ({
  message: { room: input.room, seq: 0, id: "", nick: input.nick, text: "", ts: input.ts },
  duplicate: false,
  conflict: false,
  refused: error,
});

/** A message stored by this append. */
export const stored = (message: ChatMessage): AppendResult => ({ message, duplicate: false, conflict: false });

/** What a stored message weighs in a part's byte budget: its text (UTF-8) plus its fields and JSON framing. */
export const MESSAGE_OVERHEAD_BYTES = 128;
export const partBytes = (textBytes: number): number => textBytes + MESSAGE_OVERHEAD_BYTES;

/**
 * How many of the rows (by their text's UTF-8 length, ascending seq) fit in a part of
 * `maxBytes`: at least one, so a single message bigger than the budget still goes.
 */
export const rowsWithin = (textBytes: readonly number[], maxBytes: number): number => {
  let total = 0;
  for (let i = 0; i < textBytes.length; i++) {
    total += partBytes(textBytes[i] as number);
    if (total > maxBytes && i > 0) return i;
  }
  return textBytes.length;
};
