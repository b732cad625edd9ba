// test-runner: alone (a benchmark: it loads the machine)
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { test } from "node:test";
import { promisify } from "node:util";

// `npm run bench:search` at a small scale, as the README gives it: the script runs end to end and its figures are sound.
test("bench:search at 3,000 messages reports append cost, index size and latency for every kind of query", async () => {
  const { stdout } = await promisify(execFile)(
    "bash",
    ["-c", "npm run bench:search -- --messages 3000 --rooms 10 --queries 5 --json"],
    { maxBuffer: 1 << 20 },
  );
  const report = JSON.parse(stdout.trim().split("\n").at(-1) ?? "") as {
    messages: number;
    results: Array<{
      engine: string;
      without: { cpuUsPerAppend: number };
      withIndex: { cpuUsPerAppend: number };
      indexBytes: number;
      migrationS: number;
      latency: Array<{ kind: string; p50Ms: number; p99Ms: number; meanHits: number }>;
    }>;
  };
  assert.equal(report.messages, 3000);
  const [sqlite] = report.results;
  assert.ok(sqlite);
  assert.equal(sqlite.engine, "SQLite FTS5");
  assert.ok(sqlite.without.cpuUsPerAppend > 0 && sqlite.withIndex.cpuUsPerAppend > 0);
  assert.ok(sqlite.indexBytes > 0, "the index takes room on disk");
  assert.ok(sqlite.migrationS >= 0);
  assert.equal(sqlite.latency.length, 7);
  for (const kind of sqlite.latency) assert.ok(kind.p99Ms >= kind.p50Ms && kind.p50Ms > 0, kind.kind);
  // The commonest words are in far more than a page of messages: every search of one fills the page.
  assert.equal(sqlite.latency.find((k) => k.kind === "common word, ranked")?.meanHits, 20);
});
