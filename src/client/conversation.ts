/**
 * What a message shows of its conversation, drawn from the SDK's current state of it (`room.message(seq)`, `update`
 * events), never patched by hand: the quote of the message it answers, "(edited)", the tombstone of a deleted one,
 * reaction chips, and the highlight when it names you. Text only: every string becomes a Text node.
 */
import type { ChatMessage, Room } from "parley-client";
import { fileOf, fileView } from "./file-card.ts";
import { mentionsOf } from "./mentions.ts";
import { installActions } from "./message-actions.ts";

const fullFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "full", timeStyle: "medium" });

export interface ConversationContext {
  room: Room;
  myNick: () => string | undefined;
  /** Says a refused action to the user (the SDK's error message). */
  refused: (what: string, error: unknown) => void;
  /** Starts a reply to this message in the composer. */
  reply: (message: ChatMessage) => void;
  /** The parent of a reply is not loaded: fetch it (the quote is redrawn when it comes). */
  fetchParent: (seq: number) => void;
  /** Scrolls to a loaded message and highlights it. */
  jumpTo: (seq: number) => void;
}

const QUOTE_CHARS = 120;

const excerpt = (text: string): string => {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > QUOTE_CHARS ? `${line.slice(0, QUOTE_CHARS)}…` : line;
};

/** The message a reply answers, above it: its author and first words; a button that jumps to it when loaded. */
const quote = (parentSeq: number, context: ConversationContext): HTMLElement => {
  const parent = context.room.message(parentSeq);
  const box = document.createElement("button");
  box.type = "button";
  box.className = "reply-quote";
  box.dataset.replyTo = String(parentSeq);
  const nick = document.createElement("span");
  nick.className = "quote-nick";
  const text = document.createElement("span");
  text.className = "quote-text";
  if (!parent) {
    nick.textContent = "↪ ";
    text.textContent = "an earlier message…";
    context.fetchParent(parentSeq);
  } else {
    nick.textContent = `↪ ${parent.nick}: `;
    text.textContent = parent.deleted ? "message deleted" : excerpt(parent.text);
  }
  box.append(nick, text);
  box.setAttribute(
    "aria-label",
    `In reply to ${parent ? `${parent.nick}: ${text.textContent}` : "an earlier message"}`,
  );
  box.addEventListener("click", () => context.jumpTo(parentSeq));
  return box;
};

/** Emoji chips: the count, pressed when you reacted, who reacted on hover; a click toggles yours. */
const reactionChips = (message: ChatMessage, context: ConversationContext): HTMLElement => {
  const chips = document.createElement("div");
  chips.className = "reactions";
  const me = context.myNick();
  for (const { emoji, nicks } of message.reactions ?? []) {
    if (nicks.length === 0) continue;
    const chip = document.createElement("button");
    chip.type = "button";
    chip.className = "reaction";
    const mine = me !== undefined && nicks.includes(me);
    chip.setAttribute("aria-pressed", String(mine));
    chip.title = nicks.join(", ");
    chip.setAttribute("aria-label", `${emoji} ${nicks.length}: ${nicks.join(", ")}${mine ? " (you reacted)" : ""}`);
    chip.textContent = `${emoji} ${nicks.length}`;
    chip.addEventListener("click", () =>
      context.room.react(message.seq, emoji, { on: !mine }).catch((error) => context.refused("Reaction", error)),
    );
    chips.append(chip);
  }
  return chips;
};

/** Adds the conversation parts to a row made by render.ts's messageItem. */
export const decorate = (row: HTMLElement, message: ChatMessage, context: ConversationContext): void => {
  const body = row.querySelector<HTMLElement>(".body");
  const text = row.querySelector<HTMLElement>(".text");
  const actions = row.querySelector<HTMLElement>(".message-actions");
  if (!body || !text || !actions) return;
  if (message.replyTo !== undefined) body.insertBefore(quote(message.replyTo, context), text);
  if (message.deleted) {
    row.classList.add("tombstone");
    text.replaceChildren("message deleted");
    return;
  }
  if (message.edited !== undefined) {
    const edited = document.createElement("span");
    edited.className = "edited";
    edited.textContent = "(edited)";
    edited.title = `Edited ${fullFormat.format(new Date(message.edited))}`;
    row.querySelector(".meta")?.append(" ", edited);
  }
  const me = context.myNick();
  if (me !== undefined && message.nick !== me && mentionsOf(message.text, me)) row.classList.add("mentions-me");
  if (message.reactions?.some((r) => r.nicks.length > 0)) text.after(reactionChips(message, context));
  const file = fileOf(message);
  if (file) text.after(fileView(file)); // between the text and its reactions
  installActions(row, actions, message, context);
};
