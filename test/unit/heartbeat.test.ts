import assert from "node:assert/strict";
import { type AddressInfo, connect, createServer, type Socket } from "node:net";
import { test } from "node:test";
import { type Beating, Heartbeat } from "../../src/transport/heartbeat.ts";

class Peer implements Beating {
  pings = 0;
  expired = false;
  private readonly alive: boolean;

  constructor(alive: boolean) {
    this.alive = alive;
  }
  heard(): boolean {
    return this.alive;
  }
  ping(): void {
    this.pings++;
  }
  expire(): void {
    this.expired = true;
  }
}

test("a beat pings every live peer and expires the silent one, a slice per turn so other work runs between", async () => {
  const peers = Array.from({ length: 1000 }, (_, i) => new Peer(i !== 777));
  const heartbeat = new Heartbeat(20, () => peers);
  heartbeat.start();
  // Wait until the first beat has started: some peer got its ping.
  while (!peers.some((p) => p.pings > 0)) await new Promise((done) => setTimeout(done, 1));
  const pingedAtFirstTurn = peers.filter((p) => p.pings > 0).length;
  assert.ok(pingedAtFirstTurn < 1000, "the first turn should not ping all 1,000 peers");
  while (peers.filter((p) => p.pings > 0 || p.expired).length < 1000) {
    await new Promise((done) => setImmediate(done));
  }
  heartbeat.stop();
  assert.equal(peers[777]?.expired, true);
  assert.equal(peers[777]?.pings, 0);
  assert.equal(peers.filter((p) => p.expired).length, 1);
});

/** A peer on a real TCP socket, judged as SocketLink judges it: any byte read since the last beat. */
class SocketPeer implements Beating {
  readonly events: string[] = [];
  private readAt = -1;
  private readonly socket: Socket;
  private readonly onPing: () => void;

  constructor(socket: Socket, onPing: () => void) {
    this.socket = socket;
    this.onPing = onPing;
  }
  heard(): boolean {
    if (this.socket.bytesRead === this.readAt) return false;
    this.readAt = this.socket.bytesRead;
    return true;
  }
  ping(): void {
    this.events.push("ping");
    this.onPing();
  }
  expire(): void {
    this.events.push("expire");
  }
}

test("a peer that answered while the server's event loop was held is not expired by the beat that came due meanwhile", async () => {
  const INTERVAL = 100;
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const accepted = new Promise<Socket>((done) => server.once("connection", done));
  const client = connect((server.address() as AddressInfo).port, "127.0.0.1");
  const socket = await accepted;
  socket.on("data", () => {}); // read as the wire reads: flowing
  let first = true;
  const peer = new SocketPeer(socket, () => {
    if (!first) return;
    first = false;
    // After this turn's reads: the client answers at once, then the server's loop is held (a long turn, a GC
    // pause) past the next beat's time. The answer waits in the kernel, unread, when that beat comes due.
    setImmediate(() => {
      client.write("pong");
      for (const until = Date.now() + 3 * INTERVAL; Date.now() < until; );
    });
  });
  const heartbeat = new Heartbeat(INTERVAL, () => [peer]);
  heartbeat.start();
  while (peer.events.length < 2) await new Promise((done) => setTimeout(done, 10));
  heartbeat.stop();
  client.destroy();
  server.close();
  assert.deepEqual(peer.events.slice(0, 2), ["ping", "ping"], "its answer is read before it is judged");
});
