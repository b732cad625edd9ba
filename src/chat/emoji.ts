import emojiRegex from "emoji-regex";

const EMOJI = emojiRegex();

/**
 * True when `text` is exactly one emoji as Unicode's RGI list has it (the `emoji-regex` package,
 * generated from Unicode's emoji data): `👍`, `👍🏽`, `🏳️‍🌈`, `🇫🇷`; not `:)`, not two emoji, not text.
 */
export const isEmoji = (text: string): boolean => {
  if (text.length === 0 || text.length > 32) return false;
  EMOJI.lastIndex = 0;
  const match = EMOJI.exec(text);
  return match !== null && match.index === 0 && match[0].length === text.length;
};
