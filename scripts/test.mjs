// Runs every test file under test/ with Node's own test runner (TypeScript through tsx).
// `npm test -- test/unit` narrows the run to a folder or file.
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";

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
// --test-force-exit: a test file whose failure left a socket or browser open ends when its tests have,
// so a failure is reported instead of hanging the run.
const result = spawnSync(
  process.execPath,
  ["--import", "tsx", "--test", "--test-concurrency=1", "--test-force-exit", "--test-reporter=spec", ...files],
  { stdio: "inherit" },
);
process.exit(result.status ?? 1);
