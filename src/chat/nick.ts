import confusables from "unhomoglyph/data.json" with { type: "json" };
import { ParleyError } from "./errors.ts";

export const MAX_NICK_LENGTH = 32;

/** The Cookbook's nickname: `user-N`, N uniform in [0, 100000). */
export const randomNick = (random: () => number): string => `user-${Math.floor(random() * 100000)}`;

// C0, DEL and C1 controls, plus line/paragraph separators that break layouts.
const isControl = (char: string): boolean => {
  const code = char.codePointAt(0) ?? 0;
  return code < 0x20 || (code >= 0x7f && code <= 0x9f) || code === 0x2028 || code === 0x2029;
};

// Invisible (zero-width spaces and joiners, variation selectors, fillers) or reordering what follows
// (RLO, isolates): a name with one can look like another, or like nothing at all.
const HIDDEN = /[\p{Default_Ignorable_Code_Point}\p{Bidi_Control}]/u;

const codePoint = (char: string): string =>
  `U+${(char.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, "0")}`;

/**
 * The nickname as it will be shown (NFKC: compatibility forms such as fullwidth letters folded), or
 * a `bad_nick` error: 1–32 characters, no controls, no invisible or bidi control characters, no outer spaces.
 */
export const validateNick = (raw: string): string => {
  const nick = raw.normalize("NFKC");
  const chars = [...nick];
  if (chars.length < 1 || chars.length > MAX_NICK_LENGTH) {
    throw new ParleyError("bad_nick", `A nickname has 1 to ${MAX_NICK_LENGTH} characters.`);
  }
  if (chars.some(isControl)) throw new ParleyError("bad_nick", "A nickname has no control characters.");
  const hidden = HIDDEN.exec(nick)?.[0];
  if (hidden !== undefined) {
    throw new ParleyError(
      "bad_nick",
      `A nickname has no invisible or text-direction characters (${codePoint(hidden)}).`,
    );
  }
  if (nick.trim() !== nick) throw new ParleyError("bad_nick", "A nickname does not start or end with a space.");
  return nick;
};

// confusables.txt (Unicode's UTS #39 data) as unhomoglyph ships it: one code point → its prototype.
const PROTOTYPES = new Map(Object.entries(confusables as Record<string, string>));
const IGNORABLE = /\p{Default_Ignorable_Code_Point}/gu;

/**
 * The UTS #39 skeleton: NFD, default-ignorable code points removed, each character replaced by its
 * prototype, NFD again. Two strings that look alike have the same skeleton (`аlice`, `alice`).
 * Never shown: it is a comparison key (`m` becomes `rn`).
 */
export const skeleton = (text: string): string => {
  let mapped = "";
  for (const char of text.normalize("NFD").replace(IGNORABLE, "")) mapped += PROTOTYPES.get(char) ?? char;
  return mapped.normalize("NFD");
};

/**
 * What nicknames are unique by: their look, whatever the case. The skeleton of the lower-case form
 * catches lower-case lookalikes (`rn`/`m`, Cyrillic `а`), that of its upper case the upper-case
 * ones (`I`/`l`, `O`/`0`); lowered last, so `Alice`, `ALICE`, `aIice` and `аlice` share one key.
 */
export const nickKey = (nick: string): string => asciiKey(nick) ?? fullKey(nick);

const fullKey = (nick: string): string =>
  skeleton(skeleton(nick.normalize("NFKC").toLowerCase()).toUpperCase()).toLowerCase();

/**
 * Every connection's first name is `user-N`, keyed on connect and on close: printable ASCII
 * whose key is its characters' keys end to end (NFKC, NFD and case are per character there),
 * so it is looked up per character instead of normalised four times. A character whose key
 * leaves ASCII at any step takes the full path, like any other nickname.
 */
const ASCII_KEYS: Array<string | undefined> = Array.from({ length: 128 }, (_, code) => {
  if (code < 0x21 || code > 0x7e) return undefined;
  const char = String.fromCharCode(code);
  const inner = skeleton(char.toLowerCase());
  const key = fullKey(char);
  const ascii = (text: string) => /^[\x21-\x7e]*$/.test(text);
  return ascii(inner) && ascii(inner.toUpperCase()) && ascii(key) ? key : undefined;
});

const asciiKey = (nick: string): string | undefined => {
  let key = "";
  for (let i = 0; i < nick.length; i++) {
    const part = ASCII_KEYS[nick.charCodeAt(i)];
    if (part === undefined) return undefined;
    key += part;
  }
  return key;
};
