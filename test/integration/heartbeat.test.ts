// test-runner: alone (asserts a departure within two 250 ms heartbeat intervals)
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import WebSocket from "ws";
import type { RunningParley } from "../../src/server.ts";
import { connect, type TestClient } from "../helpers/client.ts";
import { startTestParley } from "../helpers/parley.ts";
import { RawClient } from "../helpers/raw.ts";

const INTERVAL = 250;

/** Learns a text client's nickname from the echo of a probe line. */
const nickOf = async (client: TestClient): Promise<string> => {
  const probe = `probe-${Math.random()}`;
  client.send(probe);
  const echo = await client.nextMatching((f) => f.endsWith(`: ${probe}`));
  return echo.slice(0, -`: ${probe}`.length);
};

describe("heartbeats", { timeout: 20_000 }, () => {
  let parley: RunningParley;
  let url: string;
  before(async () => {
    parley = await startTestParley({ heartbeatMs: INTERVAL });
    url = `ws://127.0.0.1:${parley.wsPort}/chat/beat`;
  });
  after(() => parley.close());

  test("a client that stops answering pings is closed with 4001 and its leave is announced, within two intervals", async () => {
    const watcher = await connect(url);
    const mute = new WebSocket(url, { autoPong: false });
    const frames: string[] = [];
    mute.on("message", (data) => frames.push(String(data)));
    await new Promise((resolve) => mute.once("open", resolve));
    const closed = new Promise<number>((resolve) => mute.once("close", (code) => resolve(code)));
    mute.send("hello");
    const echo = await watcher.nextMatching((f) => f.endsWith(": hello"));
    const nick = echo.slice(0, -": hello".length);
    const silentSince = Date.now();
    const left = await watcher.nextMatching((f) => f === ` .... ${nick} has left.`, 10 * INTERVAL);
    const after = Date.now() - silentSince;
    assert.ok(left);
    assert.ok(after <= 2 * INTERVAL + 250, `gone after ${after} ms`);
    assert.equal(await closed, 4001);
    await watcher.close();
  });

  test("a half-open connection (the peer reads and answers nothing) is gone within two intervals", async () => {
    const watcher = await connect(url);
    // A hand-written client that never answers a ping and, paused, never reads: a black hole, no FIN.
    const raw = await RawClient.open(parley.wsPort, "/chat/beat");
    const silentSince = Date.now();
    raw.socket.pause();
    assert.equal(raw.status, 101);
    await watcher.nextMatching((f) => / has left\.$/.test(f), 10 * INTERVAL);
    const after = Date.now() - silentSince;
    assert.ok(after <= 2 * INTERVAL + 250, `gone after ${after} ms`);
    raw.destroy();
    await watcher.close();
  });

  test("a client that answers pings stays, quietly, across many intervals", async () => {
    const a = await connect(url);
    const nick = await nickOf(a);
    await new Promise((resolve) => setTimeout(resolve, 6 * INTERVAL));
    assert.equal(a.ws.readyState, WebSocket.OPEN);
    assert.equal(await nickOf(a), nick);
    await a.close();
  });
});
