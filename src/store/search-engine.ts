import type { HistoryStore } from "./history-store.ts";
import { MemoryStore } from "./memory.ts";
import { MemorySearch } from "./memory-search.ts";
import type { SearchIndex } from "./search.ts";

/** Where the history is, as engines.ts resolved it. */
export interface SearchSite {
  kind: "sqlite" | "memory" | "postgres";
  url: string;
  log?: (line: string) => void;
}

/** The search over `store`, on the same engine; a store it cannot read (a test's wrapper) answers that search is unavailable. */
export const createSearch = async (site: SearchSite, store: HistoryStore): Promise<SearchIndex> => {
  if (store instanceof MemoryStore) return new MemorySearch(store);
  // The drivers are imported only when chosen, as in engines.ts.
  if (site.kind === "postgres") {
    const { PostgresSearch } = await import("./postgres-search.ts");
    return new PostgresSearch(site.url, undefined, site.log);
  }
  if (site.kind === "sqlite") {
    const [{ SqliteStore }, { SqliteSearch }] = await Promise.all([
      import("./sqlite.ts"),
      import("./sqlite-search.ts"),
    ]);
    // The store's own file: a store given to startParley may live elsewhere than --data-dir.
    if (store instanceof SqliteStore)
      return new SqliteSearch(store.file, undefined, site.log, () => store.searchCaughtUp());
  }
  return unavailable;
};

const unavailable: SearchIndex = {
  search: () => Promise.reject(new Error("This store has no search index.")),
  close: () => Promise.resolve(),
};
