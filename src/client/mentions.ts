/** `@nick` in a message: whether it names you (or everyone), and the nick being typed after an `@` in the composer. */

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** true when `text` names `nick` with `@nick` (case-insensitive, a whole name), `@room` or `@here`. */
export const mentionsOf = (text: string, nick: string): boolean =>
  new RegExp(`(^|[^\\w@])@(${escapeRegExp(nick)}|room|here)(?![\\w.-])`, "i").test(text);

/** The partial nick after an `@` right before the caret ("@al|" → { start, prefix: "al" }), or undefined. */
export const mentionAt = (value: string, caret: number): { start: number; prefix: string } | undefined => {
  const match = /(^|\s)@([\w.-]*)$/.exec(value.slice(0, caret));
  if (!match) return undefined;
  const prefix = match[2] ?? "";
  return { start: caret - prefix.length - 1, prefix };
};
