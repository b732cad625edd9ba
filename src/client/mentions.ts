/** `@nick` in a message: whether it names you (or everyone), and the nick being typed after an `@` in the composer. */

// The server's rule (src/chat/mentions.ts, not imported: its nick check carries a confusables table): an @ at the
// start or after a space, the name up to the next space, sentence punctuation after it not part of it.
const MENTION = /(?:^|\s)@(\S+)/gu;
const TRAILING = /[.,:;!?)\]}'"»…]+$/u;

/** true when `text` names `nick` with `@nick` (case-insensitive), `@room` or `@here`. */
export const mentionsOf = (text: string, nick: string): boolean => {
  if (!text.includes("@")) return false;
  const me = nick.toLowerCase();
  for (const match of text.matchAll(MENTION)) {
    const name = (match[1] ?? "").replace(TRAILING, "").toLowerCase();
    if (name === me || name === "room" || name === "here") return true;
  }
  return false;
};

/** The partial nick after an `@` right before the caret ("@al|" → { start, prefix: "al" }), or undefined. */
export const mentionAt = (value: string, caret: number): { start: number; prefix: string } | undefined => {
  const match = /(^|\s)@([\w.-]*)$/.exec(value.slice(0, caret));
  if (!match) return undefined;
  const prefix = match[2] ?? "";
  return { start: caret - prefix.length - 1, prefix };
};
