import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { ParleyServerError } from "parley-client";
import type { RunningParley } from "../../src/server.ts";
import { pngOf } from "../helpers/files.ts";
import { startTestParley } from "../helpers/parley.ts";
import { nextEvent, sdkClient } from "../helpers/sdk.ts";

describe("SDK: room.upload()", () => {
  let parley: RunningParley;
  before(async () => {
    parley = await startTestParley({ fileMaxBytes: 100_000 });
  });
  after(() => parley.close());

  test("an anonymous client shares a file: others get a message carrying it, the bytes download", async () => {
    const sender = sdkClient(`ws://127.0.0.1:${parley.port}/chat`);
    const reader = sdkClient(`ws://127.0.0.1:${parley.port}/chat`);
    try {
      const room = sender.join("garden");
      const theirs = reader.join("garden");
      await nextEvent(room, "joined");
      await nextEvent(theirs, "joined");
      const png = await pngOf(40, 30);
      const arrived = nextEvent(theirs, "message", (m) => m.file !== undefined);
      const { file, ack } = await room.upload(new Blob([new Uint8Array(png)], { type: "image/png" }), {
        name: "leaf.png",
        text: "a leaf",
      });
      assert.deepEqual(file, {
        id: file.id,
        name: "leaf.png",
        size: png.length,
        type: "image/png",
        image: { width: 40, height: 30 },
      });
      const message = await arrived;
      assert.equal(message.seq, ack.seq);
      assert.equal(message.text, "a leaf");
      assert.deepEqual(message.file, file);
      const bytes = Buffer.from(await (await fetch(`http://127.0.0.1:${parley.port}/files/${file.id}`)).arrayBuffer());
      assert.deepEqual(bytes, png);
    } finally {
      await sender.close();
      await reader.close();
    }
  });

  test("refusals reject with the server's code: too large, a lying type", async () => {
    const client = sdkClient(`ws://127.0.0.1:${parley.port}/chat`);
    try {
      const room = client.join("garden");
      await nextEvent(room, "joined");
      const big = await room.upload(new Uint8Array(200_000), { name: "big.bin" }).catch((e: unknown) => e);
      assert.ok(big instanceof ParleyServerError);
      assert.equal(big.code, "too_large");
      const lie = await room
        .upload(new TextEncoder().encode("<html><script>1</script></html>"), { name: "x.png", type: "image/png" })
        .catch((e: unknown) => e);
      assert.ok(lie instanceof ParleyServerError);
      assert.equal(lie.code, "type_mismatch");
    } finally {
      await client.close();
    }
  });
});
