import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { closeSync, existsSync, openSync, readdirSync, rmSync, unlinkSync, writeSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { RunningParley } from "../../src/server.ts";
import { skipReason } from "../helpers/engines.ts";
import { pngOf, ticketFor, upload } from "../helpers/files.ts";
import { connectJson, type JsonClient } from "../helpers/json.ts";
import { startTestParley, tempDir } from "../helpers/parley.ts";

/** What is in a folder (nothing when it does not exist). */
const entries = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir, { recursive: true }).map(String) : []);

/** Stored rows of uploads never attached: all the uploads these tests make. */
const rows = async (parley: RunningParley) => parley.files.service.meta.unattachedBefore(Number.MAX_SAFE_INTEGER, 100);

/** A raw POST: headers sent at once, the body only as the test writes it. */
const rawUpload = (port: number, length: number, authorization: string) => {
  const req = request({
    host: "127.0.0.1",
    port,
    method: "POST",
    path: "/api/v1/rooms/lobby/files?name=big.bin",
    headers: { "Content-Length": String(length), Authorization: authorization },
  });
  req.flushHeaders();
  const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
    req.on("response", (res) => {
      let body = "";
      res.on("data", (chunk) => {
        body += String(chunk);
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
  });
  return { req, answer };
};

const waitFor = async (what: string, ok: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

describe("files: bad input is refused with a clear answer and leaves nothing behind", () => {
  let parley: RunningParley;
  let alice: JsonClient;
  let dataDir: string;
  let auth: string;

  before(async () => {
    dataDir = tempDir();
    parley = await startTestParley({ dataDir, fileMaxBytes: 1_000_000, fileQuotaBytes: 3_000_000, fileRate: 0 });
    alice = await connectJson(`ws://127.0.0.1:${parley.port}/chat/lobby`);
    await alice.untilJoined("lobby");
    auth = `Ticket ${(await ticketFor(alice, "lobby")).ticket}`;
  });
  after(async () => {
    await alice.close();
    await parley.close();
  });

  test("an upload over --file-max-bytes is refused with 413 before a byte of its body is sent", async () => {
    const { req, answer } = rawUpload(parley.port, 50_000_000, auth);
    const { status, body } = await answer; // no body written: the answer comes from the headers alone
    req.destroy();
    assert.equal(status, 413);
    assert.equal(JSON.parse(body).code, "too_large");
    assert.deepEqual(entries(join(dataDir, "files", "tmp")), []);
  });

  test("a body without Content-Length is refused with 411", async () => {
    const response = await fetch(`http://127.0.0.1:${parley.port}/api/v1/rooms/lobby/files?name=x.bin`, {
      method: "POST",
      headers: { Authorization: auth },
      body: new ReadableStream({
        start(controller) {
          controller.enqueue(new Uint8Array([1, 2, 3]));
          controller.close();
        },
      }),
      duplex: "half",
    } as RequestInit);
    assert.equal(response.status, 411);
  });

  test("a lying Content-Type is caught from the bytes: 415, nothing kept", async () => {
    const html = Buffer.from("<!DOCTYPE html><script>alert(document.cookie)</script>");
    const asImage = await upload(parley.port, "lobby", "cat.png", html, auth, "image/png");
    assert.equal(asImage.status, 415);
    assert.equal(asImage.body.code, "type_mismatch");
    assert.match(asImage.body.detail, /text\/html/);
    const jpegAsPng = await upload(parley.port, "lobby", "a.png", await sharpJpeg(), auth, "image/png");
    assert.equal(jpegAsPng.status, 415);
    const svgAsText = await upload(
      parley.port,
      "lobby",
      "a.txt",
      Buffer.from("<svg onload=alert(1)>"),
      auth,
      "text/plain",
    );
    assert.equal(svgAsText.status, 415);
    assert.deepEqual(await rows(parley), []);
    assert.deepEqual(entries(join(dataDir, "files", "sha256")), []);
    assert.deepEqual(entries(join(dataDir, "files", "tmp")), []);
  });

  test("HTML and SVG sent honestly are stored as what they are and only ever downloaded, never shown", async () => {
    for (const [name, bytes, type] of [
      ["page.html", "<html><script>alert(1)</script></html>", "text/html"],
      [
        "logo.svg",
        '<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        "image/svg+xml",
      ],
    ] as const) {
      const up = await upload(parley.port, "lobby", name, Buffer.from(bytes), auth, type);
      assert.equal(up.status, 201, JSON.stringify(up.body));
      assert.equal(up.body.type, type);
      assert.equal(up.body.image, undefined);
      const got = await fetch(`http://127.0.0.1:${parley.port}/files/${up.body.id}`, {
        headers: { Authorization: auth },
      });
      assert.equal(got.status, 200);
      assert.match(got.headers.get("content-disposition") ?? "", /^attachment;/);
      assert.equal(got.headers.get("content-security-policy"), "sandbox; default-src 'none'");
      assert.equal(got.headers.get("x-content-type-options"), "nosniff");
      assert.equal(
        (await fetch(`http://127.0.0.1:${parley.port}/files/${up.body.id}/thumb`, { headers: { Authorization: auth } }))
          .status,
        404,
      );
      await parley.files.service.meta.remove(up.body.id);
    }
  });

  test("bytes that only look like an image are kept as a file, never shown inline, with no thumbnail", async () => {
    const png = await pngOf(64, 64);
    const broken = png.subarray(0, Math.floor(png.length / 3)); // cut short: the signature is right, the rest is not
    const up = await upload(parley.port, "lobby", "broken.png", broken, auth, "image/png");
    assert.equal(up.status, 201, JSON.stringify(up.body));
    assert.equal(up.body.type, "image/png");
    assert.equal(up.body.image, undefined, "it did not decode");
    const got = await fetch(`http://127.0.0.1:${parley.port}/files/${up.body.id}`, {
      headers: { Authorization: auth },
    });
    assert.match(got.headers.get("content-disposition") ?? "", /^attachment;/);
    const thumb = `http://127.0.0.1:${parley.port}/files/${up.body.id}/thumb`;
    assert.equal((await fetch(thumb, { headers: { Authorization: auth } })).status, 404);
    await parley.files.service.meta.remove(up.body.id);
  });

  test("an upload cut off mid-body leaves no temporary file and no row", async () => {
    const stored = entries(join(dataDir, "files", "sha256"));
    const { req, answer } = rawUpload(parley.port, 900_000, auth);
    answer.catch(() => {}); // the socket is destroyed: no answer
    req.write(Buffer.alloc(300_000, 7));
    const tmp = join(dataDir, "files", "tmp");
    await waitFor("the upload to reach the disk", () => entries(tmp).length === 1);
    req.destroy();
    await waitFor("the temporary file to go", () => entries(tmp).length === 0);
    assert.deepEqual(await rows(parley), []);
    assert.deepEqual(entries(join(dataDir, "files", "sha256")), stored);
  });

  test("refusals are counted, by route and status class, with the HTTP API's requests", async () => {
    const text = await (await fetch(`http://127.0.0.1:${parley.port}/metrics`)).text();
    const line = (route: string, status: string) =>
      text
        .split("\n")
        .find(
          (l) =>
            l.startsWith("parley_api_requests_total{") &&
            l.includes(`route="${route}"`) &&
            l.includes(`status="${status}"`),
        );
    assert.ok(Number(line("/api/v1/rooms/{room}/files", "4xx")?.split(" ").at(-1)) >= 4, text);
    assert.ok(Number(line("/api/v1/rooms/{room}/files", "2xx")?.split(" ").at(-1)) >= 2);
  });

  test("past the quota: 413 quota_exceeded before the body is read", async () => {
    const kept: string[] = [];
    for (let i = 0; i < 3; i++) {
      const bytes = Buffer.alloc(900_000, i + 1);
      const up = await upload(parley.port, "lobby", `part${i}.bin`, bytes, auth);
      assert.equal(up.status, 201);
      kept.push(up.body.id);
    }
    const over = await upload(parley.port, "lobby", "more.bin", Buffer.alloc(900_000, 9), auth);
    assert.equal(over.status, 413);
    assert.equal(over.body.code, "quota_exceeded");
    for (const id of kept) await parley.files.service.meta.remove(id);
  });
});

describe("files: the rate of uploads", () => {
  test("past --file-rate uploads a minute: 429 with Retry-After", async () => {
    const parley = await startTestParley({ fileRate: 2 });
    const alice = await connectJson(`ws://127.0.0.1:${parley.port}/chat/lobby`);
    try {
      await alice.untilJoined("lobby");
      const auth = `Ticket ${(await ticketFor(alice, "lobby")).ticket}`;
      const answers = [];
      for (let i = 0; i < 3; i++) answers.push(await upload(parley.port, "lobby", "a.txt", Buffer.from(`n${i}`), auth));
      assert.deepEqual(
        answers.map((a) => a.status),
        [201, 201, 429],
      );
      assert.ok(Number(answers[2]?.headers.get("retry-after")) >= 1);
    } finally {
      await alice.close();
      await parley.close();
    }
  });
});

describe("files: an upload never sent", () => {
  test("is removed after --file-unattached-ms, content and all", async () => {
    const dataDir = tempDir();
    const parley = await startTestParley({ dataDir, fileUnattachedMs: 50 });
    const alice = await connectJson(`ws://127.0.0.1:${parley.port}/chat/lobby`);
    try {
      await alice.untilJoined("lobby");
      const auth = `Ticket ${(await ticketFor(alice, "lobby")).ticket}`;
      const up = await upload(parley.port, "lobby", "forgotten.txt", Buffer.from("never sent"), auth);
      assert.equal(up.status, 201);
      assert.equal(await parley.files.service.sweep(), 0, "not yet");
      await new Promise((resolve) => setTimeout(resolve, 80));
      assert.equal(await parley.files.service.sweep(), 1);
      assert.deepEqual(await rows(parley), []);
      assert.deepEqual(
        entries(join(dataDir, "files", "sha256")).filter((e) => e.length > 2),
        [],
      );
    } finally {
      await alice.close();
      await parley.close();
    }
  });
});

const sharpJpeg = async (): Promise<Buffer> => {
  const { default: sharp } = await import("sharp");
  return sharp(await pngOf(16, 16))
    .jpeg()
    .toBuffer();
};

/** A real small filesystem to fill: a tmpfs of its own (root only), so "disk full" is the kernel's ENOSPC. */
describe("files: a real full disk", async () => {
  const mountPoint = tempDir("parley-files-tmpfs-");
  const reason = await skipReason(async () => {
    try {
      execFileSync("mount", ["-t", "tmpfs", "-o", "size=3m", "tmpfs", mountPoint], { stdio: "pipe" });
      return null;
    } catch (error) {
      return `a real disk-full test needs a tmpfs of its own (mount as root): ${String(error).split("\n")[0]}`;
    }
  });
  after(() => {
    if (!reason) execFileSync("umount", [mountPoint]);
    rmSync(mountPoint, { recursive: true, force: true });
  });

  test("an upload onto a full disk: 507 storage_full, nothing half-written; it works once there is room", {
    skip: reason,
  }, async () => {
    const dataDir = join(mountPoint, "data");
    const parley = await startTestParley({ dataDir, fileMaxBytes: 2_000_000 });
    const alice = await connectJson(`ws://127.0.0.1:${parley.port}/chat/lobby`);
    try {
      await alice.untilJoined("lobby");
      const auth = `Ticket ${(await ticketFor(alice, "lobby")).ticket}`;
      const filler = join(mountPoint, "filler");
      const fd = openSync(filler, "w");
      try {
        // Leaves about 1 MB: the upload below needs 1.5.
        writeSync(fd, Buffer.alloc(1_600_000, 1));
      } finally {
        closeSync(fd);
      }
      const bytes = Buffer.alloc(1_500_000, 3);
      const full = await upload(parley.port, "lobby", "big.bin", bytes, auth);
      console.log(`# upload onto a full disk: ${full.status} ${JSON.stringify(full.body)}`);
      assert.equal(full.status, 507);
      assert.equal(full.body.code, "storage_full");
      assert.deepEqual(entries(join(dataDir, "files", "tmp")), []);
      assert.deepEqual(entries(join(dataDir, "files", "sha256")), []);
      assert.deepEqual(await rows(parley), []);

      unlinkSync(filler);
      const roomy = await upload(parley.port, "lobby", "big.bin", bytes, auth);
      assert.equal(roomy.status, 201);
    } finally {
      await alice.close();
      await parley.close();
    }
  });
});

describe("files: retention", () => {
  test("a file whose message was pruned by retention goes with the full sweep", async () => {
    const parley = await startTestParley({ retainMessages: 100 });
    const alice = await connectJson(`ws://127.0.0.1:${parley.port}/chat/lobby`);
    try {
      await alice.untilJoined("lobby");
      const auth = `Ticket ${(await ticketFor(alice, "lobby")).ticket}`;
      const up = await upload(parley.port, "lobby", "old.txt", Buffer.from("soon pruned"), auth);
      alice.send({ type: "send", room: "lobby", text: "", file: up.body.id, cid: "r0" });
      await alice.expect((e) => e.cid === "r0");
      for (let i = 1; i <= 300; i++) {
        alice.send({ type: "send", room: "lobby", text: `filler ${i}`, cid: `r${i}` });
        await alice.expect((e) => e.cid === `r${i}`);
      }
      assert.equal(await parley.files.service.sweepUnattached(), 0, "it was sent: not an unsent upload");
      assert.equal(await parley.files.service.sweepAttached(), 1);
      assert.equal(await parley.files.service.read(up.body.sha256), undefined);
    } finally {
      await alice.close();
      await parley.close();
    }
  });
});
