import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { CLOSE, shouldReconnect } from "../../src/protocol/close-codes.ts";
import { SETTINGS } from "../../src/settings.ts";

const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");

/** The rows of the first Markdown table after `heading`, as trimmed cells. */
const tableAfter = (heading: string): string[][] => {
  const lines = readme.slice(readme.indexOf(heading)).split("\n");
  const start = lines.findIndex((l) => l.startsWith("|"));
  const rows: string[][] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith("|")) break;
    rows.push(
      line
        .split("|")
        .slice(1, -1)
        .map((c) => c.trim()),
    );
  }
  return rows;
};

describe("the README tells the truth", () => {
  test("every setting is in the configuration table, with its env and default", () => {
    const rows = new Map(tableAfter("## Configuration").map((r) => [r[0], r]));
    for (const s of SETTINGS) {
      const row = rows.get(`\`--${s.flag}\``);
      assert.ok(row, `--${s.flag} is missing from the README`);
      assert.equal(row[1], `\`${s.env}\``);
      assert.equal(row[2], s.default === "" ? "(none)" : `\`${s.default}\``, `default of --${s.flag}`);
    }
  });

  test("the close code table lists every code Parley sends, with the right reconnect advice", () => {
    const rows = new Map(tableAfter("### Close codes").map((r) => [Number(r[0]), r]));
    for (const code of Object.values(CLOSE)) assert.ok(rows.has(code), `close code ${code} is missing`);
    for (const [code, row] of rows) {
      const advice = row[3] ?? "";
      assert.equal(advice.startsWith("yes"), shouldReconnect(code), `reconnect advice for ${code}: ${advice}`);
    }
  });
});
