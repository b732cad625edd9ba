// Runs every test file under test/ with Node's own test runner. Node runs the TypeScript itself (type stripping,
// Node 22.18 and later); `--conditions=parley-source` resolves parley-client to its sources (packages/client/package.json),
// as tsconfig.json's `paths` do for tsc. No tsx: a start through its loader costs about twice the CPU.
// `npm test -- test/unit` narrows the run to a folder or file.
//
// Most files spend their time waiting (servers, browsers, timeouts), so they run two at a time. A file whose
// first lines hold the marker `// test-runner: alone` (it measures time or load: intervals, deadlines, a long-task
// budget, latency under a slow peer) runs afterwards, by itself, so a neighbour's load cannot fail it.
// PARLEY_TEST_CONCURRENCY=1 runs everything one at a time.
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const ALONE = /^\/\/ test-runner: alone\b/m;
const concurrency = Number(process.env.PARLEY_TEST_CONCURRENCY ?? 2);
if (!Number.isInteger(concurrency) || concurrency < 1) {
  console.error(`PARLEY_TEST_CONCURRENCY must be a whole number from 1, not "${process.env.PARLEY_TEST_CONCURRENCY}"`);
  process.exit(1);
}

if (!process.features.typescript) {
  console.error(`the tests need Node's type stripping (Node 22.18 or later, 24, 26); this is Node ${process.version}`);
  process.exit(1);
}

const roots = process.argv.slice(2);
const find = (path) =>
  statSync(path).isDirectory()
    ? readdirSync(path)
        .sort()
        .flatMap((name) => find(join(path, name)))
    : /\.test\.ts$/.test(path)
      ? [path]
      : [];
const files = (roots.length > 0 ? roots : ["test"]).flatMap(find);
if (files.length === 0) {
  console.error("no test files found");
  process.exit(1);
}
// Node's compile cache (stripped sources and V8 code, keyed by content and Node version) for the test processes and
// the servers they start, which inherit the environment: each start parses and compiles the same modules again otherwise.
process.env.NODE_COMPILE_CACHE ??= join(tmpdir(), "parley-test-compile-cache");

const alone = files.filter((file) => ALONE.test(readFileSync(file, "utf8").slice(0, 2000)));
const together = files.filter((file) => !alone.includes(file));

// --test-force-exit: a test file whose failure left a socket or browser open ends when its tests have,
// so a failure is reported instead of hanging the run.
const run = (group, n) => {
  if (group.length === 0) return 0;
  const args = [
    "--conditions=parley-source",
    "--test",
    `--test-concurrency=${n}`,
    "--test-force-exit",
    "--test-reporter=spec",
  ];
  return spawnSync(process.execPath, [...args, ...group], { stdio: "inherit" }).status ?? 1;
};
const first = run(together, concurrency);
if (alone.length > 0 && together.length > 0) console.log(`\n# ${alone.length} file(s) that run alone:\n`);
const second = run(alone, 1);
if (first !== 0 && alone.length > 0 && together.length > 0) console.log("\n# some files run together failed (above)");
process.exit(first !== 0 ? first : second);
