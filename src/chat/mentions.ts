import { validateNick } from "./nick.ts";

/** `@room` and `@here`: everyone in the room (members only, rate-limited by the service). */
export const ROOM_MENTIONS = ["room", "here"] as const;

// An @ at the start or after a space, then the name up to the next space; punctuation that ends
// a sentence is not part of it ("@alice," names alice).
const MENTION = /(?:^|\s)@(\S+)/gu;
const TRAILING = /[.,:;!?)\]}'"»…]+$/u;

/**
 * The nicknames a text names with `@nick` (as `validateNick` shows them, NFKC), in order, once each;
 * `room` and `here` for `@room`/`@here`. Pure: the server decides who they are.
 */
export const mentionsIn = (text: string): string[] => {
  if (!text.includes("@")) return [];
  const found: string[] = [];
  for (const match of text.matchAll(MENTION)) {
    const raw = (match[1] ?? "").replace(TRAILING, "");
    if (raw.length === 0) continue;
    let nick: string;
    try {
      nick = validateNick(raw);
    } catch {
      continue;
    }
    if (!found.includes(nick)) found.push(nick);
  }
  return found;
};
