import assert from "node:assert/strict";
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
