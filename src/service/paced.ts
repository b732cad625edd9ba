import type { ChatMessage } from "../chat/message.ts";
import { encodeEvent } from "../protocol/json.ts";
import type { Connection } from "../transport/connection.ts";

/**
 * Sends history as one or more `history` events of at most the connection's bulk budget each,
 * waiting for the client to take one before queueing the next. A resume of thousands of big
 * messages then flows at the client's pace instead of overflowing its send queue (which would
 * close it as too slow, and make it resume again, forever).
 */
export const sendHistory = async (
  conn: Connection,
  room: string,
  messages: readonly ChatMessage[],
  stillWanted: () => boolean,
): Promise<void> => {
  const budget = conn.bulkBudget;
  let start = 0;
  while (start < messages.length) {
    let end = start;
    let bytes = 0;
    while (end < messages.length) {
      const size = Buffer.byteLength(JSON.stringify(messages[end])) + 1;
      if (end > start && bytes + size > budget) break;
      bytes += size;
      end++;
    }
    if (!(await conn.drained()) || !stillWanted()) return;
    conn.send(encodeEvent({ type: "history", room, messages: messages.slice(start, end) }));
    start = end;
  }
};
