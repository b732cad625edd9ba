import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { type AddressInfo, createServer, type Socket } from "node:net";
import { test } from "node:test";
import { Fanout } from "../../src/transport/fanout.ts";
import { rateLimiterFor } from "../../src/transport/rate-limit.ts";
import { SocketLink } from "../../src/transport/socket-link.ts";
import { Wire } from "../../src/transport/wire.ts";

/** A client in a process of its own: it reads nothing until SIGUSR1, then everything; it prints `ready` once connected. */
const READER = `
const socket = require("node:net").connect(Number(process.argv[1]), "127.0.0.1", () => console.log("ready"));
socket.pause();
socket.on("data", () => {});
process.on("SIGUSR1", () => socket.resume());
setInterval(() => {}, 1000); // a paused socket does not keep the process alive
`;

test("a client that reads while the server's event loop is held is not closed as too slow by the first frame after it", async () => {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const accepted = once(server, "connection") as Promise<[Socket]>;
  const reader = spawn(process.execPath, ["-e", READER, String((server.address() as AddressInfo).port)], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  try {
    await once(reader.stdout, "data");
    const [socket] = await accepted;
    const max = 64 * 1024;
    const wire = new Wire(socket, { message: () => {}, close: () => {} }, 1 << 20);
    const link = new SocketLink(
      wire,
      { mode: "text", room: "lobby", autoJoin: true, ip: "127.0.0.1" },
      new Fanout(() => {}),
      { maxQueueBytes: max, stats: { bytesOut: 0, shedFrames: 0 } },
      rateLimiterFor({ perSecond: 0, burst: 0, strikes: 0, hold: 0 }, Date.now()),
    );
    wire.conn = link;
    const frame = Buffer.alloc(16 * 1024, 0x61);
    // Fill the kernel's buffers (the client does not read yet), then Parley's: over the cap.
    while (socket.writableLength <= max) {
      link.enqueue(frame, false);
      link.flushWrites();
      await new Promise((done) => setImmediate(done));
    }
    // The client reads everything now, while the server's loop is held past the stall time (a long turn, a GC
    // pause); the same turn then queues a frame, before any poll phase has seen what the client took.
    reader.kill("SIGUSR1");
    for (const until = Date.now() + 1500; Date.now() < until; );
    link.enqueue(frame, false);
    await new Promise((done) => setTimeout(done, 100));
    assert.equal(link.closed, false, "a client that took its backlog is not too slow");
    assert.equal(link.sentCloseCode, undefined);
  } finally {
    reader.kill();
    server.close();
  }
});
