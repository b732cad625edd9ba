import type { z } from "@hono/zod-openapi";
import type { ChatMessage } from "../../chat/message.ts";
import { encodeMessage } from "../../protocol/json.ts";
import type { History } from "./schemas.ts";

/**
 * A page of the HTTP API as the JSON protocol shapes one: messages in their current state, the
 * change events among the seqs in `changes` (continue `since` from the highest `seq`/`at`).
 */
export const historyBody = (room: string, rows: readonly ChatMessage[]): z.infer<typeof History> => {
  const messages = rows.filter((m) => !m.change);
  const changes = rows.filter((m) => m.change).map((m) => JSON.parse(encodeMessage(m)));
  return changes.length > 0 ? { room, messages, changes } : { room, messages };
};
