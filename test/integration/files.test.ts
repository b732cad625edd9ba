import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import sharp from "sharp";
import type { RunningParley } from "../../src/server.ts";
import { connect } from "../helpers/client.ts";
import { pngOf, ticketFor, upload } from "../helpers/files.ts";
import { connectJson, type Event, historyMessages, type JsonClient, ofType } from "../helpers/json.ts";
import { startTestParley } from "../helpers/parley.ts";
import { hsToken, newSecret } from "../helpers/tokens.ts";

const until = async (ok: () => Promise<boolean>, ms = 5000): Promise<void> => {
  const deadline = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

describe("files: upload with a ticket, send, history, download (docs/files.md)", () => {
  const secret = newSecret();
  let parley: RunningParley;
  let alice: JsonClient;
  let bob: JsonClient;
  let page: string;

  before(async () => {
    parley = await startTestParley({ authSecret: secret, privateRooms: "vault", fileMaxBytes: 1_000_000 });
    page = `http://127.0.0.1:${parley.port}`;
    alice = await connectJson(`ws://127.0.0.1:${parley.port}/chat/lobby`);
    await alice.untilJoined("lobby");
    bob = await connectJson(`ws://127.0.0.1:${parley.port}/chat/lobby`);
    await bob.untilJoined("lobby");
  });
  after(async () => {
    await alice.close();
    await bob.close();
    await parley.close();
  });

  test("a member's image becomes a message every mode sees, with a thumbnail made server-side", async () => {
    const text = await connect(`ws://127.0.0.1:${parley.port}/chat/lobby`);
    const png = await pngOf(800, 600);
    const { ticket, url } = await ticketFor(alice, "lobby");
    assert.equal(url, "/api/v1/rooms/lobby/files");
    const up = await upload(parley.port, "lobby", "shot.png", png, `Ticket ${ticket}`, "image/png");
    assert.equal(up.status, 201, JSON.stringify(up.body));
    assert.equal(up.body.type, "image/png");
    assert.equal(up.body.size, png.length);
    assert.deepEqual(up.body.image, { width: 800, height: 600 });
    assert.match(up.body.sha256, /^[0-9a-f]{64}$/);

    alice.send({ type: "send", room: "lobby", text: "look", file: up.body.id, cid: "c1" });
    const seen = await bob.expect(ofType("message", { room: "lobby" }));
    assert.deepEqual(seen.file, {
      id: up.body.id,
      name: "shot.png",
      size: png.length,
      type: "image/png",
      image: { width: 800, height: 600 },
    });
    const line = await text.nextMatching((f) => f.includes("look"));
    assert.match(line, new RegExp(`^[^:]+: look \\[file: shot\\.png, \\d+(\\.\\d)? kB, /files/${up.body.id}\\]$`));
    await text.close();

    const original = await fetch(`${page}/files/${up.body.id}`);
    assert.equal(original.status, 200);
    assert.equal(original.headers.get("content-type"), "image/png");
    assert.equal(original.headers.get("x-content-type-options"), "nosniff");
    assert.equal(original.headers.get("content-security-policy"), "sandbox; default-src 'none'");
    assert.match(original.headers.get("content-disposition") ?? "", /^inline; filename="shot.png"/);
    assert.deepEqual(Buffer.from(await original.arrayBuffer()), png);

    const thumb = await fetch(`${page}/files/${up.body.id}/thumb`);
    assert.equal(thumb.headers.get("content-type"), "image/jpeg");
    const meta = await sharp(Buffer.from(await thumb.arrayBuffer())).metadata();
    assert.equal(meta.format, "jpeg");
    assert.equal(meta.width, 320);
    assert.equal(meta.height, 240);

    // resumable like any message: a late joiner's history carries it
    const late = await connectJson(`ws://127.0.0.1:${parley.port}/chat/lobby`);
    const { history } = await late.untilJoined("lobby");
    const carried = historyMessages(history).find((m) => m.text === "look");
    assert.deepEqual((carried?.file as { id?: string } | undefined)?.id, up.body.id);
    await late.close();
  });

  test("an upload is attached once, by its uploader only; plain messages stay byte-exact", async () => {
    const { ticket } = await ticketFor(alice, "lobby");
    const up = await upload(parley.port, "lobby", "notes.txt", Buffer.from("hello\n"), `Ticket ${ticket}`);
    assert.equal(up.status, 201);
    assert.equal(up.body.type, "text/plain; charset=utf-8");
    bob.send({ type: "send", room: "lobby", text: "mine", file: up.body.id, cid: "b1" });
    const stolen = await bob.expect((e) => e.cid === "b1");
    assert.equal(stolen.code, "file_not_found");
    alice.send({ type: "send", room: "lobby", text: "", file: up.body.id, cid: "a2" });
    assert.equal((await alice.expect((e) => e.cid === "a2")).type, "ack");
    alice.send({ type: "send", room: "lobby", text: "", file: up.body.id, cid: "a2" }); // a resend: the same message
    const again = await alice.expect((e) => e.cid === "a2");
    assert.equal(again.type, "ack");
    assert.equal(again.duplicate, true);
    alice.send({ type: "send", room: "lobby", text: "twice", file: up.body.id, cid: "a3" });
    assert.equal((await alice.expect((e) => e.cid === "a3")).code, "file_used");

    const download = await fetch(`${page}/files/${up.body.id}`);
    assert.match(download.headers.get("content-disposition") ?? "", /^attachment; filename="notes.txt"/);

    const plain = await connect(`ws://127.0.0.1:${parley.port}/chat/lobby`);
    bob.send({ type: "send", room: "lobby", text: "just words", cid: "b2" });
    const frame = await plain.nextMatching((f) => f.includes("just words"));
    assert.match(frame, /^[^:]+: just words$/);
    await plain.close();
  });

  test("a ticket is only for a member of the room; an upload without one is refused", async () => {
    alice.send({ type: "upload_ticket", room: "elsewhere", cid: "x1" });
    assert.equal((await alice.expect((e) => e.cid === "x1")).code, "not_in_room");
    const none = await upload(parley.port, "lobby", "a.txt", Buffer.from("x"), "Ticket nope");
    assert.equal(none.status, 401);
    const { ticket } = await ticketFor(alice, "lobby");
    const wrongRoom = await upload(parley.port, "other", "a.txt", Buffer.from("x"), `Ticket ${ticket}`);
    assert.equal(wrongRoom.status, 403);
    const badName = await upload(parley.port, "lobby", "../etc/passwd", Buffer.from("x"), `Ticket ${ticket}`);
    assert.equal(badName.status, 400);
  });

  test("private-room files go to members only; an unattached upload to its uploader only", async () => {
    const member = await hsToken(secret, { sub: "u-in", name: "insider", rooms: ["vault"] });
    const stranger = await hsToken(secret, { sub: "u-out", name: "outsider" });
    const up = await upload(parley.port, "vault", "plan.pdf", Buffer.from("%PDF-1.4\n%…\n"), `Bearer ${member}`);
    assert.equal(up.status, 201, JSON.stringify(up.body));
    const refused = await upload(parley.port, "vault", "x.txt", Buffer.from("x"), `Bearer ${stranger}`);
    assert.equal(refused.status, 403);
    assert.equal((await fetch(`${page}/files/${up.body.id}`)).status, 404, "unattached: not for anyone");
    const insider = await connectJson(`ws://127.0.0.1:${parley.port}/chat/vault`, member);
    await insider.untilJoined("vault");
    insider.send({ type: "send", room: "vault", text: "the plan", file: up.body.id, cid: "p1" });
    assert.equal((await insider.expect((e: Event) => e.cid === "p1")).type, "ack");
    await insider.close();
    assert.equal((await fetch(`${page}/files/${up.body.id}`)).status, 404);
    assert.equal((await fetch(`${page}/files/${up.body.id}?token=${stranger}`)).status, 404);
    const ok = await fetch(`${page}/files/${up.body.id}?token=${member}`);
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get("content-type"), "application/pdf");
    assert.match(ok.headers.get("content-disposition") ?? "", /^attachment/);
  });

  test("deleting the message removes the file once nothing refers to it", async () => {
    const same = Buffer.from("the same bytes, twice\n");
    const first = await upload(
      parley.port,
      "lobby",
      "one.txt",
      same,
      `Ticket ${(await ticketFor(alice, "lobby")).ticket}`,
    );
    const second = await upload(
      parley.port,
      "lobby",
      "two.txt",
      same,
      `Ticket ${(await ticketFor(alice, "lobby")).ticket}`,
    );
    assert.equal(first.body.sha256, second.body.sha256, "content-addressed: one copy");
    alice.send({ type: "send", room: "lobby", text: "1", file: first.body.id, cid: "d1" });
    const one = await alice.expect((e) => e.cid === "d1");
    alice.send({ type: "send", room: "lobby", text: "2", file: second.body.id, cid: "d2" });
    await alice.expect((e) => e.cid === "d2");

    alice.send({ type: "delete", room: "lobby", seq: one.seq, cid: "x1" });
    const deleted = await bob.expect(ofType("delete", { room: "lobby", seq: one.seq as number }));
    assert.equal((deleted.message as { file?: unknown }).file, undefined, "the tombstone carries no file");
    // At once, with no sweep: the delete took the file along.
    await until(async () => (await fetch(`${page}/files/${first.body.id}`)).status === 404);
    const kept = await fetch(`${page}/files/${second.body.id}`);
    assert.equal(await kept.text(), same.toString(), "still referred to by the other message");

    alice.send({
      type: "delete",
      room: "lobby",
      seq: (await alice.expect((e) => e.type === "message" && e.text === "2")).seq,
      cid: "x2",
    });
    await alice.expect((e) => e.cid === "x2");
    await until(async () => {
      const content = await parley.files.service.read(second.body.sha256);
      content?.destroy(); // only whether it is there
      return content === undefined;
    });
    assert.equal(await parley.files.service.sweep(), 0, "nothing left for the sweep");
    assert.equal(await parley.files.service.read(second.body.sha256), undefined, "nothing refers to it: gone");
  });
});

describe("files: the README's upload example runs, and an API key's message carries the file", () => {
  test("curl with an API key posts the file; the answer names its sniffed type", async () => {
    const { execFile } = await import("node:child_process");
    const { readFileSync, writeFileSync } = await import("node:fs");
    const { join } = await import("node:path");
    const { promisify } = await import("node:util");
    const { ADMIN_TOKEN, createKey } = await import("../helpers/api.ts");
    const { tempDir } = await import("../helpers/parley.ts");
    const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
    const script = /<!-- example: file-upload -->\n```sh\n([\s\S]*?)```/.exec(readme)?.[1];
    assert.ok(script, "the README example");
    const parley = await startTestParley({ adminToken: ADMIN_TOKEN });
    try {
      const key = await createKey(parley.port, { name: "docs", rooms: ["dev"], rights: ["publish"] });
      const cwd = tempDir();
      writeFileSync(join(cwd, "report.pdf"), "%PDF-1.7\n1 0 obj << >> endobj\n%%EOF\n");
      const env = { ...process.env, PARLEY_URL: `http://127.0.0.1:${parley.port}`, PARLEY_KEY: key.secret };
      const { stdout } = await promisify(execFile)("bash", ["-c", script], { env, cwd });
      const answer = JSON.parse(stdout);
      assert.equal(answer.name, "report.pdf");
      assert.equal(answer.type, "application/pdf");

      // The key's message carries it; history over HTTP shows it; a second message may not.
      const { call } = await import("../helpers/api.ts");
      const body = { text: "the report", file: answer.id };
      const posted = await call(parley.port, "POST", "/api/v1/rooms/dev/messages", { auth: key.secret, body });
      assert.equal(posted.status, 201, JSON.stringify(posted.body));
      assert.equal(posted.body.message.file.id, answer.id);
      const again = await call(parley.port, "POST", "/api/v1/rooms/dev/messages", {
        auth: key.secret,
        body: { text: "", file: answer.id },
      });
      assert.equal(again.status, 409);
      assert.equal(again.body.code, "file_used");
      const reader = await createKey(parley.port, { name: "reader", rooms: ["dev"], rights: ["read"] });
      const history = await call(parley.port, "GET", "/api/v1/rooms/dev/messages", { auth: reader.secret });
      assert.deepEqual(history.body.messages[0].file, posted.body.message.file);
    } finally {
      await parley.close();
    }
  });
});
