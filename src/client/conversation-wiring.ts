/** The page's glue for conversations, kept out of main.ts: each room's context for conversation.ts, and ↑ to edit. */
import type { Room } from "parley-client";
import type { ConversationContext } from "./conversation.ts";
import { openEditor } from "./message-actions.ts";
import type { ReplyBar } from "./reply-bar.ts";
import type { RoomView } from "./room-view.ts";

export interface PageParts {
  myNick: () => string | undefined;
  say: (text: string, scope: `room:${string}`) => void;
  replyBar: ReplyBar;
  /** The room's view, once made (the context is made before it). */
  view: () => RoomView | undefined;
}

const contexts = new WeakMap<Room, ConversationContext>();

export const conversationContext = (room: Room, page: PageParts): ConversationContext => {
  const made = contexts.get(room);
  if (made) return made;
  const asked = new Set<number>();
  const say = (text: string): void => page.say(`#${room.name}: ${text}`, `room:${room.name}`);
  const context: ConversationContext = {
    room,
    myNick: page.myNick,
    refused: (what, error) => say(`${what} refused: ${error instanceof Error ? error.message : String(error)}`),
    reply: (message) => page.replyBar.start(message),
    fetchParent: (seq) => {
      if (asked.has(seq) || room.state !== "joined") return;
      asked.add(seq);
      // One message, looked up: the view does not show it in the log (not next to the ones shown), only in quotes.
      room.history({ before: seq + 1, limit: 1 }).then(
        () => page.view()?.refreshQuotes(seq),
        () => asked.delete(seq),
      );
    },
    jumpTo: (seq) => {
      if (!page.view()?.highlight(seq)) say("that message is further back: load older messages to see it.");
    },
  };
  contexts.set(room, context);
  return context;
};

/** ↑ in an empty message box edits your last message in the room on screen (as in most chat apps). */
export const installEditLast = (input: HTMLTextAreaElement, current: () => RoomView | undefined, page: PageParts) => {
  input.addEventListener("keydown", (event) => {
    if (event.key !== "ArrowUp" || input.value !== "" || event.altKey || event.shiftKey) return;
    const view = current();
    const me = page.myNick();
    if (!view || me === undefined) return;
    const mine = [...view.list.querySelectorAll<HTMLElement>(".message[data-seq]:not(.tombstone)")].filter(
      (row) => row.dataset.nick === me,
    );
    const row = mine.at(-1);
    const message = row ? view.room.message(Number(row.dataset.seq)) : undefined;
    if (!row || !message) return;
    event.preventDefault();
    openEditor(row, message, conversationContext(view.room, page));
  });
};
