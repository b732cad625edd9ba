import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { connect as tcpConnect } from "node:net";
import { after, before, test } from "node:test";
import { type RunningServer, SERVERS, startServer } from "../../bench/lib/servers.ts";
import { connect, type TestClient } from "../helpers/client.ts";

// The Node floor is a yardstick in the bench's tables: it must do the Cookbook's text chat, each
// message to every member of its room, the sender included, or its figures would not be a floor
// for what Parley does. Checked with a real `ws` client, through the bench's own launcher.
let server: RunningServer;
before(async () => {
  server = await startServer(SERVERS["node-floor"], "test");
});
after(async () => {
  await server?.stop();
});

const url = (room: string) => `ws://127.0.0.1:${server.port}${SERVERS["node-floor"].path(room)}`;

test("every message reaches each member of its room as `nick: message`, the sender too, and no other room", async () => {
  const [a, b, other] = (await Promise.all([url("r1"), url("r1"), url("r2")].map((u) => connect(u)))) as [
    TestClient,
    TestClient,
    TestClient,
  ];
  try {
    // Payload lengths in each of the three header forms (7-bit, 16-bit, 64-bit).
    const texts = ["hello", "é".repeat(100), "x".repeat(70_000)];
    for (const text of texts) a.send(text);
    const seenByA = await a.waitForCount(3);
    const seenByB = await b.waitForCount(3);
    assert.deepEqual(seenByB, seenByA);
    const nick = /^(user-\d+): /.exec(seenByA[0] as string)?.[1];
    assert.ok(nick, `no nick in ${seenByA[0]}`);
    assert.deepEqual(
      seenByA,
      texts.map((t) => `${nick}: ${t}`),
    );
    b.send("bye");
    const bNick = /^(user-\d+): bye$/.exec(await a.nextMatching((f) => f.endsWith(": bye")))?.[1];
    assert.ok(bNick);
    await b.close();
    assert.equal(await a.next(), ` .... ${bNick} has left.`);
    const pong = new Promise<string>((done) => a.ws.once("pong", (data) => done(data.toString())));
    a.ws.ping("are you there");
    assert.equal(await pong, "are you there");
    assert.deepEqual(other.frames, []);
  } finally {
    await Promise.all([a.close(), b.close(), other.close()]);
  }
});

/** A client frame, masked as RFC 6455 wants. */
const masked = (text: string): Buffer => {
  const payload = Buffer.from(text);
  const mask = randomBytes(4);
  const head = Buffer.from([0x81, 0x80 | payload.length]);
  return Buffer.concat([head, mask, payload.map((byte, i) => byte ^ (mask[i & 3] as number))]);
};

test("frames that share one write, or are split across writes, are each read once", async () => {
  const witness = await connect(url("r3"));
  const raw = tcpConnect({ host: "127.0.0.1", port: server.port });
  try {
    await new Promise((done) => raw.once("connect", done));
    const answered = new Promise<string>((done) => raw.once("data", (d: Buffer) => done(d.toString("latin1"))));
    raw.write(
      `GET /r3 HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
    // RFC 6455's own example key and its accept value.
    assert.match(await answered, /^HTTP\/1\.1 101 .*\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK\+xOo=\r\n/s);
    raw.write(Buffer.concat([masked("one"), masked("two")]));
    const three = masked("three");
    raw.write(three.subarray(0, 3));
    await new Promise((done) => setTimeout(done, 50));
    raw.write(three.subarray(3));
    const frames = await witness.waitForCount(3);
    assert.deepEqual(
      frames.map((f) => f.replace(/^user-\d+: /, "")),
      ["one", "two", "three"],
    );
  } finally {
    raw.destroy();
    await witness.close();
  }
});
