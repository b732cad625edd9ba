import assert from "node:assert/strict";
import { createServer, type Socket, connect as tcpConnect } from "node:net";
import { after, before, describe, test } from "node:test";
import { setImmediate as nextTurn } from "node:timers/promises";
import { written } from "../../src/transport/written.ts";

describe("written(): waiting on a socket's writes without polling", () => {
  let sender: Socket;
  let reader: Socket;
  const server = createServer();
  before(async () => {
    const accepted = new Promise<Socket>((resolve) => server.once("connection", resolve));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    reader = tcpConnect((server.address() as { port: number }).port, "127.0.0.1");
    reader.pause(); // takes nothing until the test says so
    sender = await accepted;
  });
  after(async () => {
    reader.destroy();
    sender.destroy();
    await new Promise((resolve) => server.close(resolve));
  });

  // The deadline is past the test's timeout: resolving by the deadline would fail the test.
  test("below the 16 KiB mark, where 'drain' never comes, it resolves once the peer takes the bytes", {
    timeout: 30_000,
  }, async () => {
    // Fill the kernel's buffers 1 KiB at a time: the first write that does not fit leaves less than
    // 1 KiB waiting in Node, far below the mark, so the socket does not ask for 'drain'.
    const chunk = Buffer.alloc(1024, 0x78);
    for (let i = 0; sender.writableLength === 0; i++) {
      sender.write(chunk);
      if (i % 256 === 255) await nextTurn(); // let libuv try the writes it holds
    }
    assert.equal(sender.writableNeedDrain, false);
    let resolved = false;
    const waiting = written(sender, Date.now() + 60_000).then(() => {
      resolved = true;
    });
    for (let i = 0; i < 20; i++) await nextTurn();
    assert.equal(resolved, false, "still waiting while the peer reads nothing");
    reader.on("data", () => {}); // the peer reads again
    reader.resume();
    await waiting;
    assert.equal(sender.writableLength, 0, "everything handed to the socket is written");
  });
});
