import { ParleyError } from "./errors.ts";

export const MAX_NICK_LENGTH = 32;

/** The Cookbook's nickname: `user-N`, N uniform in [0, 100000). */
export const randomNick = (random: () => number): string => `user-${Math.floor(random() * 100000)}`;

// C0, DEL and C1 controls, plus line/paragraph separators that break layouts.
const isControl = (char: string): boolean => {
  const code = char.codePointAt(0) ?? 0;
  return code < 0x20 || (code >= 0x7f && code <= 0x9f) || code === 0x2028 || code === 0x2029;
};

/** Throws a `bad_nick` error unless `nick` is 1–32 characters without controls or outer spaces. */
export const validateNick = (nick: string): string => {
  const length = [...nick].length;
  if (length < 1 || length > MAX_NICK_LENGTH) {
    throw new ParleyError("bad_nick", `A nickname has 1 to ${MAX_NICK_LENGTH} characters.`);
  }
  if ([...nick].some(isControl)) throw new ParleyError("bad_nick", "A nickname has no control characters.");
  if (nick.trim() !== nick) throw new ParleyError("bad_nick", "A nickname does not start or end with a space.");
  return nick;
};

/** Nicknames are unique case-insensitively; this is the key they are unique by. */
export const nickKey = (nick: string): string => nick.normalize("NFC").toLowerCase();
