import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { humanSize } from "../../src/chat/file-size.ts";
import { contentDisposition, validFileName } from "../../src/files/names.ts";
import { claimLies, isSafeInline, sniffType } from "../../src/files/sniff.ts";
import { pngOf } from "../helpers/files.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

describe("files: what the bytes are, whatever the uploader says", () => {
  test("binary signatures, markup and text are told apart", async () => {
    assert.equal(await sniffType(await pngOf(4, 4)), "image/png");
    assert.equal(await sniffType(bytes("%PDF-1.7\n")), "application/pdf");
    assert.equal(await sniffType(bytes("  <!doctype html><p>hi")), "text/html");
    assert.equal(await sniffType(bytes("\ufeff<svg xmlns='http://www.w3.org/2000/svg'/>")), "image/svg+xml");
    assert.equal(await sniffType(bytes('<?xml version="1.0"?>\n<!-- x -->\n<svg>')), "image/svg+xml");
    assert.equal(await sniffType(bytes("line one\nligne deux é\n")), "text/plain; charset=utf-8");
    assert.equal(await sniffType(new Uint8Array([0, 159, 146, 150, 1, 2])), "application/octet-stream");
  });

  test("a claim of another kind is a lie; vague claims and text for text are not", () => {
    assert.equal(claimLies("image/png", "text/html"), true);
    assert.equal(claimLies("image/png", "image/jpeg"), true);
    assert.equal(claimLies("text/plain", "image/svg+xml"), true);
    assert.equal(claimLies("image/png", "application/octet-stream"), true, "a PNG would have been recognised");
    assert.equal(claimLies("image/jpg", "image/jpeg"), false, "an alias");
    assert.equal(claimLies("IMAGE/PNG; q=1", "image/png"), false);
    assert.equal(claimLies(undefined, "text/html"), false);
    assert.equal(claimLies("application/octet-stream", "application/pdf"), false);
    assert.equal(claimLies("application/x-www-form-urlencoded", "application/pdf"), false, "curl's default");
    assert.equal(claimLies("application/json", "text/plain; charset=utf-8"), false);
    assert.equal(claimLies("text/csv", "text/plain; charset=utf-8"), false);
  });

  test("only raster images are ever inline", () => {
    for (const type of ["image/png", "image/jpeg", "image/gif", "image/webp"]) assert.equal(isSafeInline(type), true);
    for (const type of ["image/svg+xml", "text/html", "application/pdf", "text/plain; charset=utf-8"]) {
      assert.equal(isSafeInline(type), false, type);
    }
  });
});

describe("files: names", () => {
  test("one printable path segment, NFC, at most 255 bytes", () => {
    assert.equal(validFileName(" re\u0301sume\u0301.pdf "), "résumé.pdf");
    for (const bad of [
      null,
      "",
      "  ",
      "../x",
      "a/b",
      "a\\b",
      "a\u0000b",
      "gnp\u202e.exe",
      ".",
      "..",
      "x".repeat(256),
    ]) {
      assert.throws(() => validFileName(bad), /name/i, JSON.stringify(bad));
    }
  });

  test("Content-Disposition keeps the exact name for browsers and an ASCII one for the rest", () => {
    assert.equal(
      contentDisposition("attachment", 'rapport "final" é.pdf'),
      `attachment; filename="rapport _final_ _.pdf"; filename*=UTF-8''rapport%20%22final%22%20%C3%A9.pdf`,
    );
  });

  test("sizes as people read them", () => {
    assert.deepEqual([980, 12_345, 3_400_000, 25_000_000_000].map(humanSize), ["980 B", "12 kB", "3.4 MB", "25 GB"]);
  });
});
