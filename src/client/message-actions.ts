/**
 * The actions of a message, shown on hover or focus (a tap focuses the row on a touch screen): Reply, React, and on
 * your own messages Edit and Delete. Delete asks first; Edit opens the text in place (Enter saves, Esc cancels).
 * Nothing here changes what a message shows: the SDK's `update` event redraws the row from its new state.
 */
import type { ChatMessage } from "parley-client";
import type { ConversationContext } from "./conversation.ts";

/** A handful of common reactions: no emoji data set in the bundle (the server accepts any emoji). */
export const QUICK_EMOJI = ["👍", "❤️", "😂", "🎉", "😮", "😢", "👀", "✅"] as const;

const button = (label: string, text: string, onClick: () => void): HTMLButtonElement => {
  const b = document.createElement("button");
  b.type = "button";
  b.textContent = text;
  b.setAttribute("aria-label", label);
  b.title = label;
  b.tabIndex = -1; // in the Tab order only while its message has focus (see installActions)
  b.addEventListener("click", (event) => {
    event.stopPropagation();
    onClick();
  });
  return b;
};

/** The text of your message in a box in its place: Enter saves (through the SDK), Esc puts the message back. */
export const openEditor = (row: HTMLElement, message: ChatMessage, context: ConversationContext): void => {
  const text = row.querySelector<HTMLElement>(".text");
  if (!text || row.querySelector(".editor")) return;
  const editor = document.createElement("textarea");
  editor.className = "editor";
  editor.value = message.text;
  editor.rows = Math.min(8, message.text.split("\n").length);
  editor.setAttribute("aria-label", "Edit your message (Enter saves, Escape cancels)");
  const hint = document.createElement("p");
  hint.className = "editor-hint";
  hint.textContent = "Enter to save · Esc to cancel";
  const close = (): void => {
    editor.remove();
    hint.remove();
    text.hidden = false;
    row.focus();
  };
  editor.addEventListener("keydown", (event) => {
    event.stopPropagation(); // the log's arrow keys and shortcuts are not for this box
    if (event.key === "Escape") {
      event.preventDefault();
      close();
    } else if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      const edited = editor.value;
      close();
      if (edited.trim() === "" || edited === message.text) return;
      context.room.edit(message.seq, edited).catch((error) => context.refused("Edit", error));
    }
  });
  text.hidden = true;
  text.after(editor, hint);
  editor.focus();
  editor.setSelectionRange(editor.value.length, editor.value.length);
};

/** Deleting is asked for twice: the actions give way to "Delete this message? Delete / Cancel". */
const confirmDelete = (
  opener: HTMLButtonElement,
  actions: HTMLElement,
  message: ChatMessage,
  context: ConversationContext,
): void => {
  const shown = [...actions.children] as HTMLElement[];
  for (const child of shown) child.hidden = true;
  const question = document.createElement("span");
  question.className = "confirm";
  question.setAttribute("role", "group");
  question.setAttribute("aria-label", "Delete this message?");
  question.append("Delete this message? ");
  const restore = (): void => {
    for (const child of shown) child.hidden = false;
    opener.focus();
    question.remove();
  };
  const yes = button("Yes, delete it", "Delete", () => {
    restore();
    context.room.delete(message.seq).catch((error) => context.refused("Delete", error));
  });
  const no = button("Cancel", "Cancel", restore);
  yes.tabIndex = 0;
  no.tabIndex = 0;
  yes.classList.add("danger");
  question.append(yes, " ", no);
  actions.append(question);
  no.focus();
};

/** The small reaction picker, in the actions bar: one click reacts, Esc closes. */
const openPicker = (
  opener: HTMLButtonElement,
  actions: HTMLElement,
  message: ChatMessage,
  context: ConversationContext,
): void => {
  if (actions.querySelector(".picker")) return;
  // Focus goes back to React before the picker goes: removing a focused element would blur it out of the message.
  const close = (): void => {
    opener.focus();
    picker.remove();
  };
  const picker = document.createElement("div");
  picker.className = "picker";
  picker.setAttribute("role", "group");
  picker.setAttribute("aria-label", "Pick a reaction");
  for (const emoji of QUICK_EMOJI) {
    const choice = button(`React with ${emoji}`, emoji, () => {
      close();
      context.room.react(message.seq, emoji, { on: true }).catch((error) => context.refused("Reaction", error));
    });
    choice.tabIndex = 0;
    picker.append(choice);
  }
  picker.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    event.stopPropagation();
    close();
  });
  actions.append(picker);
  picker.querySelector("button")?.focus();
};

/** Fills the message's empty actions slot (render.ts), and puts its buttons in the Tab order while it has focus. */
export const installActions = (
  row: HTMLElement,
  actions: HTMLElement,
  message: ChatMessage,
  context: ConversationContext,
): void => {
  const own = message.nick === context.myNick();
  actions.setAttribute("role", "toolbar");
  actions.setAttribute("aria-label", `Actions on ${message.nick}'s message`);
  const react: HTMLButtonElement = button("React", "☺", () => openPicker(react, actions, message, context));
  actions.append(
    button("Reply", "↩", () => context.reply(message)),
    react,
  );
  if (own) {
    const remove: HTMLButtonElement = button("Delete", "🗑", () => confirmDelete(remove, actions, message, context));
    actions.append(
      button("Edit", "✎", () => openEditor(row, message, context)),
      remove,
    );
  }
  const reachable = (on: boolean): void => {
    for (const b of actions.querySelectorAll<HTMLButtonElement>(":scope > button")) b.tabIndex = on ? 0 : -1;
  };
  row.addEventListener("focusin", () => reachable(true));
  row.addEventListener("focusout", (event) => {
    if (!(event.relatedTarget instanceof Node && row.contains(event.relatedTarget))) {
      reachable(false);
      const picker = actions.querySelector(".picker");
      if (picker?.isConnected) picker.remove();
    }
  });
};
