import type { Mark, SearchClause } from "../chat/search-query.ts";
import { mergeMarks } from "../chat/search-query.ts";
import type { MemoryStore } from "./memory.ts";
import {
  DEFAULT_SEARCH_BUDGET,
  decodeCursor,
  encodeCursor,
  roomInScope,
  type SearchBudget,
  type SearchHit,
  type SearchIndex,
  type SearchPage,
  type SearchRequest,
} from "./search.ts";

interface Token {
  word: string;
  start: number;
  end: number;
}

// As the stores' tokenizers: runs of letters and digits, compared without case or accents.
const WORD = /[\p{L}\p{M}\p{N}]+/gu;
const fold = (word: string): string => word.normalize("NFKD").replace(/\p{M}/gu, "").toLowerCase();

const tokensOf = (text: string): Token[] =>
  [...text.matchAll(WORD)].map((m) => ({ word: fold(m[0]), start: m.index, end: m.index + m[0].length }));

/** Where the clause's words stand one after the other in `tokens`, as ranges of the text. */
const occurrences = (tokens: readonly Token[], clause: SearchClause): Mark[] => {
  const words = clause.words.map(fold);
  const found: Mark[] = [];
  for (let i = 0; i + words.length <= tokens.length; i++) {
    if (words.every((w, j) => tokens[i + j]?.word === w)) {
      found.push([(tokens[i] as Token).start, (tokens[i + words.length - 1] as Token).end]);
    }
  }
  return found;
};

/**
 * Search over the memory store, for tests and `--store memory`: a scan of every message, with the
 * same query meaning as the engines (every clause, phrases in order, case and accents ignored).
 * Rank is the number of matching words (more is better), newest first among equals.
 */
export class MemorySearch implements SearchIndex {
  private readonly store: MemoryStore;
  private readonly budget: SearchBudget;

  constructor(store: MemoryStore, budget: SearchBudget = DEFAULT_SEARCH_BUDGET) {
    this.store = store;
    this.budget = budget;
  }

  async search(request: SearchRequest): Promise<SearchPage> {
    const offset = request.cursor === undefined ? 0 : decodeCursor(request.cursor, ["o"]).o;
    const matches: Array<SearchHit & { score: number }> = [];
    for (const message of this.store.messages()) {
      if (!roomInScope(request.scope, message.room)) continue;
      if (request.room !== undefined && message.room !== request.room) continue;
      if (request.nick !== undefined && message.nick.toLowerCase() !== request.nick.toLowerCase()) continue;
      if (request.since !== undefined && message.ts < request.since) continue;
      if (request.until !== undefined && message.ts >= request.until) continue;
      const tokens = tokensOf(message.text);
      const marks: Mark[] = [];
      let matched = true;
      for (const clause of request.terms.clauses) {
        const found = occurrences(tokens, clause);
        if (clause.negated ? found.length > 0 : found.length === 0) {
          matched = false;
          break;
        }
        if (!clause.negated) marks.push(...found);
      }
      if (matched) matches.push({ message: { ...message }, marks: mergeMarks(marks), score: marks.length });
    }
    const newest = (a: SearchHit, b: SearchHit) =>
      b.message.ts - a.message.ts || a.message.room.localeCompare(b.message.room) || b.message.seq - a.message.seq;
    matches.sort(request.order === "newest" ? newest : (a, b) => b.score - a.score || newest(a, b));
    const truncated = matches.length > this.budget.maxRows;
    const kept = matches.slice(0, this.budget.maxRows);
    const end = offset + request.limit;
    return {
      hits: kept.slice(offset, end).map(({ message, marks }) => ({ message, marks })),
      next: end < kept.length ? encodeCursor({ o: end }) : null,
      truncated,
    };
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
