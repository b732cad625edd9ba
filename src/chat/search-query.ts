import { ParleyError } from "./errors.ts";

/**
 * What a search asks for, parsed once here so every store reads the same thing: words, "quoted
 * phrases" and -excluded words. Every clause must match (AND); no operators, no prefix syntax:
 * a store never sees a client's raw query language, so no input can be a syntax error there.
 */
export interface SearchClause {
  /** The words, in order (a phrase has several). */
  words: string[];
  /** `-word` or `-"a phrase"`: messages with it are left out. */
  negated: boolean;
}

export interface SearchTerms {
  clauses: SearchClause[];
}

export const MAX_QUERY_LENGTH = 256;
export const MAX_QUERY_CLAUSES = 16;

const bad = (message: string): never => {
  throw new ParleyError("bad_request", message);
};

// A word is a run of letters, marks and digits (what the stores' tokenizers keep); the rest separates.
const WORD = /[\p{L}\p{M}\p{N}]+/gu;
const wordsOf = (text: string): string[] => text.match(WORD) ?? [];

/** Parses a search box's text; throws `bad_request` with a reason a person can act on. */
export const parseSearchQuery = (raw: string): SearchTerms => {
  if (raw.length > MAX_QUERY_LENGTH) bad(`A search is at most ${MAX_QUERY_LENGTH} characters.`);
  const clauses: SearchClause[] = [];
  // "a phrase", -"a phrase", -word, word; an unclosed quote runs to the end.
  for (const part of raw.matchAll(/(-?)"([^"]*)"?|(-?)([^\s"]+)/g)) {
    const negated = (part[1] ?? part[3]) === "-";
    const words = wordsOf(part[2] ?? part[4] ?? "");
    if (words.length > 0) clauses.push({ words, negated });
  }
  if (clauses.length > MAX_QUERY_CLAUSES) bad(`A search has at most ${MAX_QUERY_CLAUSES} words or phrases.`);
  if (!clauses.some((c) => !c.negated)) bad("A search needs at least one word to look for.");
  return { clauses };
};

/** Marks of the matching words: [start, end) offsets into the message's text, in UTF-16 code units. */
export type Mark = [number, number];

/** Sentinels the stores put around matching words; chat text never holds them (they are stripped first). */
export const MARK_OPEN = "\u0002";
export const MARK_CLOSE = "\u0003";

/**
 * The ranges a store marked in `marked` (`text` with MARK_OPEN/MARK_CLOSE around words). When
 * the marked text is not `text` with marks added (the store rewrote it), there are no marks:
 * a wrong range would highlight the wrong words.
 */
export const marksOf = (marked: string, text: string): Mark[] => {
  const marks: Mark[] = [];
  let plain = "";
  let open = -1;
  for (const ch of marked) {
    if (ch === MARK_OPEN) open = plain.length;
    else if (ch === MARK_CLOSE) {
      if (open >= 0 && plain.length > open) marks.push([open, plain.length]);
      open = -1;
    } else plain += ch;
  }
  return plain === text ? mergeMarks(marks) : [];
};

/** Adjacent or overlapping ranges as one. */
export const mergeMarks = (marks: readonly Mark[]): Mark[] => {
  const merged: Mark[] = [];
  for (const [start, end] of [...marks].sort((a, b) => a[0] - b[0])) {
    const last = merged.at(-1);
    if (last && start <= last[1]) last[1] = Math.max(last[1], end);
    else merged.push([start, end]);
  }
  return merged;
};
