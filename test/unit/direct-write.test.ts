import assert from "node:assert/strict";
import { once } from "node:events";
import { type AddressInfo, createServer, type Server, type Socket, connect as tcpConnect } from "node:net";
import { after, before, describe, test } from "node:test";
import { setImmediate as nextTurn } from "node:timers/promises";
import { textFrame } from "../../src/protocol/ws-frame.ts";
import { chooseWritePath, type DirectSend } from "../../src/transport/direct-write.ts";
import { Fanout } from "../../src/transport/fanout.ts";
import { rateLimiterFor } from "../../src/transport/rate-limit.ts";
import { SocketLink } from "../../src/transport/socket-link.ts";
import { Wire } from "../../src/transport/wire.ts";

// Data frames written beneath net.Socket (src/transport/direct-write.ts), over real loopback sockets.
const choice = chooseWritePath("auto");
const skip = choice.send === null ? `the native addon is not built here (${choice.why}): npm run install` : false;
if (skip) process.stderr.write(`direct-write.test.ts skipped: ${skip}\n`);

/** The real send(2), counting what it did: every call's result, as bytes taken or -errno. */
const counting = (): { send: DirectSend; results: Array<{ asked: number; sent: number }> } => {
  const results: Array<{ asked: number; sent: number }> = [];
  const real = choice.send as DirectSend;
  return {
    results,
    send: (fd, data) => {
      const sent = real(fd, data);
      results.push({ asked: data.length, sent });
      return sent;
    },
  };
};

/** What a client has read so far: each whole server frame as "text:<its first word>", "ping" or "close:<code>". */
const frames = (bytes: Buffer): string[] => {
  const out: string[] = [];
  for (let at = 0; at + 4 <= bytes.length; ) {
    const opcode = (bytes[at] as number) & 0x0f;
    let length = (bytes[at + 1] as number) & 0x7f;
    let header = 2;
    assert.notEqual(length, 127, "no frame here is that big");
    if (length === 126) {
      length = bytes.readUInt16BE(at + 2);
      header = 4;
    }
    if (at + header + length > bytes.length) break; // the rest has not come yet
    const payload = bytes.subarray(at + header, at + header + length);
    out.push(
      opcode === 1
        ? `text:${payload.toString("utf8", 0, payload.indexOf(0x20))}`
        : opcode === 9
          ? "ping"
          : `close:${payload.readUInt16BE(0)}`,
    );
    at += header + length;
  }
  return out;
};

test("--write-path stream: the addon is not loaded, whatever is built", () => {
  assert.deepEqual(chooseWritePath("stream"), { path: "stream", send: null, why: "asked for" });
});

describe("data frames written beneath net.Socket", { skip }, () => {
  // The server's sockets read nothing (the wire is not fed here): a peer's reset is met by a write, not a read.
  const server: Server = createServer({ pauseOnConnect: true });
  let port = 0;
  before(async () => {
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    port = (server.address() as AddressInfo).port;
  });
  after(() => server.close());

  /** A server-side link on a fresh connection, and the client's socket, paused (it reads nothing yet). */
  const pair = async (maxQueueBytes: number, send: DirectSend | null) => {
    const accepted = once(server, "connection") as Promise<[Socket]>;
    const client = tcpConnect(port, "127.0.0.1");
    client.pause();
    const [socket] = await accepted;
    const wire = new Wire(socket, { message: () => {}, close: () => {} }, 1 << 20);
    const link = new SocketLink(
      wire,
      { mode: "text", room: "lobby", autoJoin: true, ip: "127.0.0.1" },
      new Fanout(() => {}),
      { maxQueueBytes, stats: { bytesOut: 0, shedFrames: 0 }, direct: send },
      rateLimiterFor({ perSecond: 0, burst: 0, strikes: 0, hold: 0 }, Date.now()),
    );
    wire.conn = link;
    return { client, socket, wire, link };
  };

  /** The client reads from now on; resolves with all it has read once `done` says it is all there. */
  const readAll = async (client: Socket, done: (got: string[]) => boolean): Promise<string[]> => {
    const chunks: Buffer[] = (client as Socket & { chunks?: Buffer[] }).chunks ?? [];
    if (chunks.length === 0) client.on("data", (chunk: Buffer) => chunks.push(chunk));
    (client as Socket & { chunks?: Buffer[] }).chunks = chunks;
    client.resume();
    for (const until = Date.now() + 20_000; Date.now() < until; await nextTurn()) {
      const got = frames(Buffer.concat(chunks));
      if (done(got)) return got;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    return frames(Buffer.concat(chunks));
  };

  test("frames keep their order with the wire's pings, across a write the kernel takes only in part", async () => {
    const direct = counting();
    const { client, socket, wire, link } = await pair(64 * 1024 * 1024, direct.send);
    const expected: string[] = [];
    const pad = "x".repeat(3000);
    let n = 0;
    const step = () => {
      if (n % 7 === 0) {
        wire.ping(); // written at once, through the socket
        expected.push("ping");
      }
      link.enqueue(textFrame(`${n} ${pad}`), false); // written at the end of the turn (the fan-out's flush)
      expected.push(`text:${n++}`);
    };
    // Until the kernel's buffers are full (the client reads nothing), then 100 turns more: those wait in Node.
    while (direct.results.every((r) => r.sent === r.asked) && n < 20_000) {
      step();
      await nextTurn();
    }
    const cut = direct.results.at(-1) as { asked: number; sent: number };
    assert.ok(cut.sent < cut.asked, "the kernel's buffers filled");
    const callsWhileFull = direct.results.length;
    for (let i = 0; i < 100; i++) {
      step();
      await nextTurn();
    }
    assert.ok(socket.writableLength > 0, "the rest waits in Node");
    assert.equal(direct.results.length, callsWhileFull, "nothing goes past what waits in Node");
    // The client reads it all; once Node has written what it held, the direct path serves again.
    const first = await readAll(client, (got) => got.length === expected.length);
    assert.deepEqual(first, expected);
    while (socket.writableLength > 0) await nextTurn();
    for (let i = 0; i < 20; i++) {
      step();
      await nextTurn();
    }
    assert.ok(direct.results.length > callsWhileFull, "written directly again");
    const all = await readAll(client, (got) => got.length === expected.length);
    assert.deepEqual(all, expected);
    client.destroy();
    socket.destroy();
  });

  test("a client that stops reading is still closed as too slow (4000), after the frames it was sent", async () => {
    const direct = counting();
    const max = 64 * 1024;
    const { client, socket, link } = await pair(max, direct.send);
    const sent: string[] = [];
    for (let n = 0; !link.closed && n < 10_000; n++) {
      link.enqueue(textFrame(`${n} ${"y".repeat(4000)}`), false);
      if (!link.closed) sent.push(`text:${n}`);
      await new Promise((resolve) => setTimeout(resolve, n % 50 === 49 ? 20 : 0));
    }
    assert.equal(link.sentCloseCode, 4000);
    assert.ok(
      direct.results.some((r) => r.sent < r.asked),
      "the kernel took part of a write, or none: the rest went through Node",
    );
    const got = await readAll(client, (frames) => frames.at(-1)?.startsWith("close") === true);
    // What the client gets: a prefix of what was queued (what was queued after the cap is dropped), then the close.
    assert.equal(got.at(-1), "close:4000");
    assert.deepEqual(got.slice(0, -1), sent.slice(0, got.length - 1));
    client.destroy();
    socket.destroy();
  });

  for (const path of ["direct", "stream"] as const) {
    test(`a peer's reset is reported by the socket as an error, then close (${path} path)`, async () => {
      const direct = counting();
      const { client, socket, link } = await pair(64 * 1024 * 1024, path === "direct" ? direct.send : null);
      const errors: string[] = [];
      socket.on("error", (error: NodeJS.ErrnoException) => errors.push(String(error.code)));
      const closed = new Promise((resolve) => socket.once("close", resolve));
      client.resetAndDestroy();
      await new Promise((resolve) => setTimeout(resolve, 100)); // the RST is in; the server socket is not read
      for (let i = 0; i < 3 && !socket.destroyed; i++) {
        link.enqueue(textFrame(`after the reset ${i}`), false);
        await nextTurn();
      }
      await closed;
      // What Parley does with it (wire-handshake.ts): the socket is destroyed, the link's close follows.
      assert.equal(errors.length, 1);
      assert.ok(["ECONNRESET", "EPIPE"].includes(errors[0] as string), errors[0]);
      if (path === "direct")
        assert.ok(
          direct.results.some((r) => r.sent < 0),
          "send(2) met the reset first",
        );
    });
  }
});
