import assert from "node:assert/strict";
import { test } from "node:test";
import {
  fileKind,
  fileOf,
  formatSize,
  originalUrl,
  showsInline,
  thumbBox,
  thumbUrl,
} from "../../src/client/file-card.ts";
import { refusalText, tooBigText } from "../../src/client/upload-request.ts";
import { uploadName } from "../../src/client/uploads.ts";

test("a message's file is read only when well formed; anything else is not drawn", () => {
  const file = { id: "f_1a2B", name: "report.pdf", size: 12345, type: "application/pdf" };
  assert.deepEqual(fileOf({ text: "look", file }), file);
  assert.deepEqual(fileOf({ file: { ...file, image: { width: 640, height: 480 } } })?.image, {
    width: 640,
    height: 480,
  });
  assert.equal(fileOf({ file: { ...file, image: { width: 0, height: 480 } } })?.image, undefined, "no 0-sized box");
  assert.equal(fileOf({ text: "no file" }), undefined);
  assert.equal(fileOf({ file: { ...file, id: "../../etc/passwd" } }), undefined, "an id is never a path");
  assert.equal(fileOf({ file: { ...file, size: "12" } }), undefined);
  assert.equal(fileOf({ file: { ...file, size: -1 } }), undefined);
  assert.equal(fileOf({ file: "f_1" }), undefined);
  assert.equal(fileOf(null), undefined);
  assert.equal(fileOf({ file: { ...file, url: "https://evil.example/x" } })?.url, undefined, "only same-origin paths");
  assert.equal(originalUrl(file), "/files/f_1a2B");
  assert.equal(thumbUrl(file), "/files/f_1a2B/thumb");
});

test("sizes in decimal units, as the server's text line says them", () => {
  assert.equal(formatSize(0), "0 B");
  assert.equal(formatSize(999), "999 B");
  assert.equal(formatSize(1000), "1.0 kB");
  assert.equal(formatSize(12_345), "12 kB");
  assert.equal(formatSize(1_450_000), "1.4 MB");
  assert.equal(formatSize(26_214_400), "26 MB");
  assert.equal(formatSize(3_000_000_000), "3.0 GB");
});

test("the icon's kind comes from the sniffed type, then the name; SVG and HTML are cards, never images", () => {
  assert.equal(fileKind("image/png", "a.png"), "image");
  assert.equal(fileKind("application/pdf", "x"), "pdf");
  assert.equal(fileKind("application/zip", "logs.zip"), "archive");
  assert.equal(fileKind("application/octet-stream", "build.tar.gz"), "archive");
  assert.equal(fileKind("text/plain; charset=utf-8", "server.log"), "text");
  assert.equal(fileKind("text/plain", "notes"), "text");
  assert.equal(fileKind("image/svg+xml", "logo.svg"), "code");
  assert.equal(fileKind("text/html", "page.html"), "code");
  assert.equal(
    fileKind("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "cv.docx"),
    "document",
  );
  assert.equal(fileKind("application/octet-stream", "blob"), "other");

  const png = { id: "a", name: "a.png", size: 1, type: "image/png", image: { width: 10, height: 10 } };
  assert.equal(showsInline(png), true);
  assert.equal(showsInline({ ...png, type: "image/svg+xml" }), false, "SVG is never drawn inline");
  assert.equal(showsInline({ ...png, type: "text/html" }), false);
  const { image: _image, ...noThumb } = png;
  assert.equal(showsInline(noThumb), false, "no thumbnail from the server: a card");
});

test("the thumbnail's box is reserved at its shape, at most 320 × 240, never enlarged", () => {
  assert.deepEqual(thumbBox({ width: 4000, height: 3000 }), { width: 320, height: 240 });
  assert.deepEqual(thumbBox({ width: 1000, height: 4000 }), { width: 60, height: 240 });
  assert.deepEqual(thumbBox({ width: 100, height: 50 }), { width: 100, height: 50 });
  assert.deepEqual(thumbBox({ width: 100_000, height: 1 }), { width: 320, height: 1 });
});

test("each refusal says what happened and what to do", () => {
  assert.equal(
    tooBigText("video.mp4", 30_000_000, 26_214_400),
    "video.mp4 is 30 MB: files up to 26 MB can be shared here.",
  );
  assert.match(refusalText("a.png", { status: 403, detail: "Not a member." }), /only members .* \(Not a member\)\./);
  assert.match(refusalText("a.png", { status: 413, code: "quota_exceeded" }), /storage quota/);
  assert.match(refusalText("a.png", { status: 413, code: "too_large" }), /larger than the server takes/);
  assert.match(refusalText("a.png", { status: 429 }, 12.2), /Try again in 13 s\.$/);
  assert.match(refusalText("a.png", { status: 507, detail: "Disk full" }), /no room left .*Disk full/);
  assert.match(refusalText("a.png", { status: 415 }), /not the type/);
  assert.match(refusalText("a.png", { status: 0 }), /connection to the server failed/);
  assert.match(refusalText("a.png", { status: 500 }), /the server answered 500/);
});

test("a pasted image gets a name with its time; a named file keeps its name", () => {
  const at = new Date("2026-12-06T15:04:05Z");
  assert.equal(
    uploadName(new File(["x"], "image.png", { type: "image/png" }), at),
    "Pasted image 2026-12-06 15.04.05.png",
  );
  assert.equal(uploadName(new File(["x"], "", { type: "image/jpeg" }), at), "Pasted image 2026-12-06 15.04.05.jpg");
  assert.equal(uploadName(new File(["x"], "", { type: "" }), at), "Pasted file 2026-12-06 15.04.05.bin");
  assert.equal(uploadName(new File(["x"], "notes.txt", { type: "text/plain" }), at), "notes.txt");
});
