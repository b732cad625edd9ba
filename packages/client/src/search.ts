import { newCid } from "./outbox.ts";
import type { ClientFrame, ServerEvent } from "./protocol.ts";
import { ParleyServerError } from "./types.ts";

/** What to look for (docs/protocol.md, `search`): words, "a phrase", -excluded; optional filters. */
export interface SearchOptions {
  room?: string;
  /** The sender's nickname (case-insensitive). */
  nick?: string;
  /** Milliseconds since the epoch: since <= ts < until. */
  since?: number;
  until?: number;
  /** `rank` (default): best first; `newest`: most recent first. */
  order?: "rank" | "newest";
  /** Results per page (server default 20, at most 50). */
  limit?: number;
  /** `next` of the previous page. */
  cursor?: string;
}

type ResultsEvent = Extract<ServerEvent, { type: "search_results" }>;

/** One message found: the message, and its matching words as [start, end) offsets into `text` (UTF-16). */
export type SearchHit = ResultsEvent["hits"][number];

export interface SearchResults {
  hits: SearchHit[];
  /** Pass as `cursor` for the next page; null at the end. */
  next: string | null;
  /** The server stopped at its budget before looking at every match: narrow the search to see older ones. */
  truncated: boolean;
}

interface Waiting {
  resolve: (results: SearchResults) => void;
  reject: (error: Error) => void;
}

/** Searches in flight, by cid: the server answers each with `search_results` or an `error` carrying it. */
export class Searches {
  private readonly waiting = new Map<string, Waiting>();

  private readonly transmit: (frame: ClientFrame) => boolean;

  constructor(transmit: (frame: ClientFrame) => boolean) {
    this.transmit = transmit;
  }

  /** Rejects at once when offline: a search is a question for now, not queued like a send. */
  search(query: string, options: SearchOptions): Promise<SearchResults> {
    const cid = `search-${newCid()}`;
    return new Promise((resolve, reject) => {
      this.waiting.set(cid, { resolve, reject });
      if (!this.transmit({ type: "search", cid, query, ...options })) {
        this.waiting.delete(cid);
        reject(new Error("Not connected; search again once connected."));
      }
    });
  }

  /** true when the event was a search's answer. */
  receive(event: ServerEvent): boolean {
    if (event.type === "search_results") {
      const waiting = this.waiting.get(event.cid);
      this.waiting.delete(event.cid);
      waiting?.resolve({ hits: event.hits, next: event.next, truncated: event.truncated });
      return waiting !== undefined;
    }
    if (event.type === "error" && event.cid !== undefined) {
      const waiting = this.waiting.get(event.cid);
      if (!waiting) return false;
      this.waiting.delete(event.cid);
      waiting.reject(new ParleyServerError(event.code, event.message, { room: event.room, cid: event.cid }));
      return true;
    }
    return false;
  }

  /** The connection went: the answers will not come (a search is not resent: ask again). */
  failAll(error: Error): void {
    for (const waiting of this.waiting.values()) waiting.reject(error);
    this.waiting.clear();
  }
}
