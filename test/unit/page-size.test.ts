import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { gzipSync } from "node:zlib";
import { bundleBrowserFile } from "../../src/http/client-bundle.ts";

/** The page's script, gzipped, as the README states it: this test fails if it doubles. */
const README_FIGURE = /page's JavaScript is (\d+) KB gzipped/;

test("the page's JavaScript stays small: under twice the gzipped size the README states", async () => {
  const stated = README_FIGURE.exec(readFileSync(new URL("../../README.md", import.meta.url), "utf8"));
  assert.ok(stated, "the README states the page's gzipped size");
  const statedBytes = Number(stated[1]) * 1024;
  const app = await bundleBrowserFile("app.js");
  const gzipped = gzipSync(app, { level: 9 }).length;
  assert.ok(gzipped < 2 * statedBytes, `app.js is ${gzipped} bytes gzipped; the README says ${stated[1]} KB`);
  assert.ok(gzipped > statedBytes / 2, `app.js shrank to ${gzipped} bytes gzipped: update the README's figure`);
});
