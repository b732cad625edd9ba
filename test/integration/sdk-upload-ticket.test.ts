import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { ParleyServerError } from "parley-client";
import type { RunningParley } from "../../src/server.ts";
import { startTestParley } from "../helpers/parley.ts";
import { nextEvent, sdkClient } from "../helpers/sdk.ts";

/** The split the page uses: a ticket, the bytes posted by the caller (the page: with progress), a send carrying the id. */
describe("SDK: client.uploadTicket() and room.send(text, { file })", () => {
  let parley: RunningParley;
  before(async () => {
    parley = await startTestParley({ fileMaxBytes: 100_000 });
  });
  after(() => parley.close());

  test("a ticket for a joined room; the bytes posted with it; a send carries the upload once", async () => {
    const sender = sdkClient(`ws://127.0.0.1:${parley.port}/chat`);
    const reader = sdkClient(`ws://127.0.0.1:${parley.port}/chat`);
    try {
      const room = sender.join("notes");
      const theirs = reader.join("notes");
      await nextEvent(room, "joined");
      await nextEvent(theirs, "joined");
      const ticket = await sender.uploadTicket("notes");
      assert.equal(ticket.url, "/api/v1/rooms/notes/files");
      assert.equal(ticket.max_bytes, 100_000);
      const posted = await fetch(`http://127.0.0.1:${parley.port}${ticket.url}?name=todo.txt`, {
        method: "POST",
        headers: { Authorization: `Ticket ${ticket.ticket}`, "Content-Type": "text/plain" },
        body: "buy milk\n",
      });
      assert.equal(posted.status, 201);
      const stored = (await posted.json()) as { id: string };
      const arrived = nextEvent(theirs, "message", (m) => m.file !== undefined);
      const ack = await room.send("", { file: stored.id });
      const message = await arrived;
      assert.equal(message.seq, ack.seq);
      assert.equal(message.text, "");
      assert.deepEqual(message.file, { id: stored.id, name: "todo.txt", size: 9, type: "text/plain; charset=utf-8" });

      const again = await room.send("again", { file: stored.id }).catch((e: unknown) => e);
      assert.ok(again instanceof ParleyServerError);
      assert.equal(again.code, "file_used");
    } finally {
      await sender.close();
      await reader.close();
    }
  });

  test("no ticket for a room not joined: the server's refusal, with its code", async () => {
    const client = sdkClient(`ws://127.0.0.1:${parley.port}/chat`);
    try {
      await nextEvent(client.join("here"), "joined");
      const refused = await client.uploadTicket("elsewhere").catch((e: unknown) => e);
      assert.ok(refused instanceof ParleyServerError);
      assert.equal(refused.code, "not_in_room");
    } finally {
      await client.close();
    }
  });
});
