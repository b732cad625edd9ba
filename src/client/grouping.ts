/**
 * Where a message goes in a room's log: a day separator before the first message of each day, and consecutive
 * messages of one person (within GROUP_MS, nothing between) grouped under their first one's name and avatar.
 * Every message keeps its name and time in the DOM (screen readers read each one whole); `continued` only hides them.
 * Decided on the log's entries (windowed-log.ts), not on DOM siblings: most rows of a long room are not drawn.
 */
import type { ChatMessage } from "parley-client";

const GROUP_MS = 5 * 60_000;

/** One line of a room's log, and its row while it is drawn. */
export type Entry =
  | { kind: "message"; message: ChatMessage; row?: HTMLElement }
  | { kind: "notice"; text: string; row?: HTMLElement }
  | { kind: "day"; ts: number; day: string; row?: HTMLElement }
  | { kind: "divider"; row?: HTMLElement };

/** Whether `entry` is shown as a continuation of `before` (same person, soon after, nothing between). */
export const continues = (before: Entry | undefined, entry: Entry): boolean =>
  entry.kind === "message" &&
  before?.kind === "message" &&
  before.message.nick === entry.message.nick &&
  entry.message.ts - before.message.ts < GROUP_MS;
