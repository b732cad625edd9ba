// Full-text search, measured: loads N messages in R rooms into SQLite twice (without the search
// index, then with it), reports append CPU per message for each, the index's size on disk, and
// search latency p50/p99 for common, middling and rare words, phrases, a room filter and newest
// first. With --postgres URL, the same for PostgreSQL in a scratch database.
//
//   npm run bench:search                         # 1,000,000 messages in 1,000 rooms (minutes)
//   npm run bench:search -- --messages 20000 --rooms 20 --queries 20 --json
//
// CPU time (process.cpuUsage: this thread and the SQLite writer thread) rather than wall time:
// the machine is shared. Latency is wall time of each search call, reported as measured.
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import pg from "pg";
import { parseSearchQuery } from "../src/chat/search-query.ts";
import type { HistoryStore } from "../src/store/history-store.ts";
import { PostgresStore } from "../src/store/postgres.ts";
import { PostgresSearch } from "../src/store/postgres-search.ts";
import { type SearchIndex, type SearchRequest, SearchTooCostly } from "../src/store/search.ts";
import { SqliteStore } from "../src/store/sqlite.ts";
import { SqliteSearch } from "../src/store/sqlite-search.ts";

const { values: args } = parseArgs({
  options: {
    messages: { type: "string", default: "1000000" },
    rooms: { type: "string", default: "1000" },
    queries: { type: "string", default: "200" },
    postgres: { type: "string" },
    "no-sqlite": { type: "boolean", default: false },
    json: { type: "boolean", default: false },
  },
});
const MESSAGES = Number(args.messages);
const ROOMS = Number(args.rooms);
const QUERIES = Number(args.queries);
const BATCH = 500; // appends in flight at once: group commit as under load

/** Deterministic: the same messages and queries on every run. */
const random = (() => {
  let state = 0x2545f491;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
})();

// A Zipf-distributed vocabulary of pronounceable made-up words, as word use is in real chat.
const SYLLABLES = ["ka", "lo", "mi", "ne", "ru", "ta", "shi", "po", "de", "va", "gu", "ze", "fi", "bo", "en", "ar"];
const VOCABULARY = Array.from({ length: 20_000 }, (_, i) => {
  let word = "";
  for (let n = i + 1; n > 0; n = Math.floor(n / SYLLABLES.length)) word += SYLLABLES[n % SYLLABLES.length];
  return word;
});
const CUMULATIVE = (() => {
  const out: number[] = [];
  let total = 0;
  for (let rank = 1; rank <= VOCABULARY.length; rank++) {
    total += 1 / rank ** 1.07;
    out.push(total);
  }
  return out.map((v) => v / total);
})();
const zipfWord = (): string => {
  const r = random();
  let lo = 0;
  let hi = CUMULATIVE.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((CUMULATIVE[mid] as number) < r) lo = mid + 1;
    else hi = mid;
  }
  return VOCABULARY[lo] as string;
};
const sentence = (): string => Array.from({ length: 3 + Math.floor(random() * 15) }, zipfWord).join(" ");

const T0 = Date.UTC(2026, 0, 1);

/** Appends every message, BATCH at a time; CPU µs per append and wall seconds. */
const load = async (
  store: HistoryStore,
): Promise<{ cpuUsPerAppend: number; wallUsPerAppend: number; wallS: number }> => {
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (let done = 0; done < MESSAGES; done += BATCH) {
    const batch: Promise<unknown>[] = [];
    for (let i = done; i < Math.min(MESSAGES, done + BATCH); i++) {
      const room = `room-${Math.floor(random() * ROOMS)}`;
      batch.push(store.append({ room, nick: `user${i % 997}`, text: sentence(), ts: T0 + i * 1000 }));
    }
    await Promise.all(batch);
  }
  const used = process.cpuUsage(cpu);
  const wallMs = performance.now() - started;
  return {
    cpuUsPerAppend: (used.user + used.system) / MESSAGES,
    wallUsPerAppend: (wallMs * 1000) / MESSAGES,
    wallS: wallMs / 1000,
  };
};

interface Latency {
  kind: string;
  p50Ms: number;
  p99Ms: number;
  meanHits: number;
  truncated: number;
  /** Stopped past the time budget with no answer (PostgreSQL's statement_timeout). */
  refused: number;
}

const percentile = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? 0;

/** Each kind of query QUERIES times, with words of its band of the vocabulary. */
const measureSearches = async (search: SearchIndex): Promise<Latency[]> => {
  const band = (from: number, to: number) => () => VOCABULARY[from + Math.floor(random() * (to - from))] as string;
  const common = band(0, 10);
  const middling = band(100, 300);
  const rare = band(3000, 6000);
  const kinds: Array<[string, () => Partial<SearchRequest> & { query: string }]> = [
    ["common word, ranked", () => ({ query: common() })],
    ["common word, newest first", () => ({ query: common(), order: "newest" })],
    ["middling word, ranked", () => ({ query: middling() })],
    ["rare word, ranked", () => ({ query: rare() })],
    ["two words, ranked", () => ({ query: `${middling()} ${middling()}` })],
    ['"phrase" of two common words', () => ({ query: `"${common()} ${common()}"` })],
    ["common word in one room", () => ({ query: common(), room: `room-${Math.floor(random() * ROOMS)}` })],
  ];
  const out: Latency[] = [];
  for (const [kind, make] of kinds) {
    const times: number[] = [];
    let hits = 0;
    let truncated = 0;
    let refused = 0;
    for (let i = 0; i < QUERIES; i++) {
      const { query, ...rest } = make();
      const started = performance.now();
      try {
        const page = await search.search({
          terms: parseSearchQuery(query),
          scope: { except: ["room-0"] },
          order: "rank",
          limit: 20,
          ...rest,
        });
        hits += page.hits.length;
        if (page.truncated) truncated++;
      } catch (error) {
        if (!(error instanceof SearchTooCostly)) throw error;
        refused++;
      }
      times.push(performance.now() - started);
    }
    times.sort((a, b) => a - b);
    out.push({
      kind,
      p50Ms: percentile(times, 50),
      p99Ms: percentile(times, 99),
      meanHits: hits / QUERIES,
      truncated,
      refused,
    });
  }
  return out;
};

const fileBytes = (file: string): number => statSync(file).size;

const sqlite = async () => {
  const dir = mkdtempSync(join(tmpdir(), "parley-bench-search-"));
  try {
    const retention = { maxMessagesPerRoom: 0, maxAgeMs: 0 };
    const plainFile = join(dir, "plain.db");
    const plain = new SqliteStore({ file: plainFile, retention, synchronous: "normal" });
    const without = await load(plain);
    await plain.close();
    const indexedFile = join(dir, "indexed.db");
    const indexed = new SqliteStore({ file: indexedFile, retention, synchronous: "normal" });
    const search = new SqliteSearch(indexedFile); // its writer indexes every append from here, in batches
    const withIndex = await load(indexed);
    await indexed.close();
    await search.close();
    // Sizes with the WAL checkpointed into the file (close does it).
    const sizes = { withoutBytes: fileBytes(plainFile), withBytes: fileBytes(indexedFile) };
    // The migration of a file stored before search: the index built for every message in it.
    let started = performance.now();
    await new SqliteSearch(plainFile).close();
    const migrationS = (performance.now() - started) / 1000;
    started = performance.now();
    const reader = new SqliteSearch(indexedFile);
    const latency = await measureSearches(reader);
    await reader.close();
    return {
      engine: "SQLite FTS5",
      without,
      withIndex,
      indexBytes: sizes.withBytes - sizes.withoutBytes,
      migrationS,
      latency,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

const postgres = async (adminUrl: string) => {
  const name = `parley_bench_search_${process.pid}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  try {
    const retention = { maxMessagesPerRoom: 0, maxAgeMs: 0 };
    const store = new PostgresStore({ url: url.href, retention });
    await store.start();
    // Appends without the index first, then the index is made, then as many again with it.
    const without = await load(store);
    const search = new PostgresSearch(url.href);
    const started = performance.now();
    await search.start(); // the migration: the tsvector column added to every row, the GIN index built
    const migrationS = (performance.now() - started) / 1000;
    const withIndex = await load(store);
    const db = new pg.Client({ connectionString: url.href });
    await db.connect();
    const size = await db.query<{ index: string; column: string }>(
      `SELECT pg_relation_size('parley_messages_search') AS index,
              (SELECT sum(pg_column_size(search)) FROM parley_messages) AS column`,
    );
    await db.query("ANALYZE parley_messages");
    await db.end();
    const latency = await measureSearches(search);
    await search.close();
    await store.close();
    return {
      engine: `PostgreSQL GIN (${MESSAGES} appended without the index, then ${MESSAGES} with it)`,
      without,
      withIndex,
      // The GIN index plus the stored tsvector column.
      indexBytes: Number(size.rows[0]?.index) + Number(size.rows[0]?.column),
      migrationS,
      latency,
    };
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
};

type Result = Awaited<ReturnType<typeof sqlite>> | Awaited<ReturnType<typeof postgres>>;

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

/** Each engine's figures as soon as it is done: a long run that is stopped later keeps what it measured. */
const print = (r: Result): void => {
  if (args.json) return;
  console.log(`\n${r.engine}`);
  // PostgreSQL's work is in its server processes, not this one: its appends are timed by the wall clock.
  const measure = r.engine.startsWith("SQLite") ? "cpuUsPerAppend" : "wallUsPerAppend";
  const ratio = r.withIndex[measure] / r.without[measure];
  console.log(
    `  append ${measure === "cpuUsPerAppend" ? "CPU" : "wall time"}: ${r.without[measure].toFixed(1)} µs without the index, ${r.withIndex[measure].toFixed(1)} µs with it (x${ratio.toFixed(2)}); load ${r.without.wallS.toFixed(0)} s / ${r.withIndex.wallS.toFixed(0)} s wall`,
  );
  console.log(`  migration of ${MESSAGES} stored messages: ${r.migrationS.toFixed(1)} s`);
  console.log(
    `  index on disk: ${mb(r.indexBytes)}${r.engine.startsWith("SQLite") ? "" : " (GIN index + tsvector column)"}`,
  );
  for (const l of r.latency) {
    console.log(
      `  ${l.kind.padEnd(32)} p50 ${l.p50Ms.toFixed(2)} ms  p99 ${l.p99Ms.toFixed(2)} ms  (${l.meanHits.toFixed(1)} hits, ${l.truncated} truncated${l.refused > 0 ? `, ${l.refused} refused past the time budget` : ""})`,
    );
  }
};

if (!args.json) console.log(`search bench: ${MESSAGES} messages in ${ROOMS} rooms, ${QUERIES} queries per kind`);
const results: Result[] = [];
if (!args["no-sqlite"]) results.push(await sqlite());
results.forEach(print);
if (args.postgres) {
  const r = await postgres(args.postgres);
  results.push(r);
  print(r);
}
if (args.json) process.stdout.write(`${JSON.stringify({ messages: MESSAGES, rooms: ROOMS, results })}\n`);
