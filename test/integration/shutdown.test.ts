// test-runner: alone (asserts exits within their deadlines)
import assert from "node:assert/strict";
import { connect as tcpConnect } from "node:net";
import { describe, test } from "node:test";
import { spawnParley } from "../helpers/child.ts";
import { connect } from "../helpers/client.ts";
import { connectJson, historyMessages } from "../helpers/json.ts";
import { tempDir } from "../helpers/parley.ts";
import { RawClient } from "../helpers/raw.ts";

const refused = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = tcpConnect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(false);
    });
    socket.once("error", () => resolve(true));
  });

describe("graceful shutdown", { timeout: 60_000 }, () => {
  test("SIGTERM: every client gets 1001, acked messages are kept, the process exits 0 and stops listening", async () => {
    const dataDir = tempDir();
    const parley = await spawnParley(["--data-dir", dataDir]);
    const text = await connect(`ws://127.0.0.1:${parley.wsPort}/chat/bye`);
    const json = await connectJson(`ws://127.0.0.1:${parley.port}/chat/bye`);
    await json.untilJoined("bye");
    const acked: string[] = [];
    let sending = true;
    const stream = (async () => {
      for (let i = 0; sending; i++) {
        json.send({ type: "send", text: `s${i}`, cid: `s${i}` });
        const answer = await Promise.race([
          json.expect((e) => e.type === "ack" || e.type === "error", 5000).catch(() => undefined),
          json.raw.closed.then(() => undefined),
        ]);
        if (answer?.type !== "ack") return;
        acked.push(answer.cid as string);
      }
    })();
    while (acked.length < 20) await new Promise((resolve) => setTimeout(resolve, 10));
    const started = Date.now();
    parley.child.kill("SIGTERM");
    const [textClose, jsonClose, code] = await Promise.all([text.closed, json.raw.closed, parley.exited]);
    sending = false;
    await stream;
    const took = Date.now() - started;
    assert.equal(textClose.code, 1001);
    assert.equal(jsonClose.code, 1001);
    assert.equal(code, 0);
    assert.ok(took < 10_000, `shutdown took ${took} ms`);
    assert.match(parley.output(), /SIGTERM, shutting down[\s\S]*stopped/);
    assert.ok(await refused(parley.port));
    assert.ok(await refused(parley.wsPort));

    const again = await spawnParley(["--data-dir", dataDir]);
    try {
      const reader = await connectJson(`ws://127.0.0.1:${again.port}/chat/bye?since=0`);
      const stored = historyMessages((await reader.untilJoined("bye")).history).map((m) => m.text);
      for (const cid of acked) assert.equal(stored.filter((t) => t === cid).length, 1, `acked ${cid} kept once`);
      await reader.close();
    } finally {
      again.child.kill("SIGKILL");
      await again.exited;
    }
  });

  test("SIGINT works the same; a second signal exits at once, without waiting for stuck clients", async () => {
    const parley = await spawnParley(["--data-dir", tempDir(), "--shutdown-ms", "20000"]);
    // A client that never reads: it will never answer the close, so a graceful exit waits for it.
    const stuck = await RawClient.open(parley.wsPort, "/");
    assert.equal(stuck.status, 101);
    stuck.socket.pause();
    const polite = await connect(`ws://127.0.0.1:${parley.wsPort}/`);
    parley.child.kill("SIGINT");
    assert.equal((await polite.closed).code, 1001);
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(parley.child.exitCode, null, "still waiting for the stuck client");
    const second = Date.now();
    parley.child.kill("SIGTERM");
    const code = await parley.exited;
    const took = Date.now() - second;
    assert.equal(code, 1);
    assert.ok(took < 1500, `exited ${took} ms after the second signal`);
    assert.match(parley.output(), /again, exiting now/);
    stuck.destroy();
  });

  test("a client that never answers the close is dropped after the grace period and the exit is still 0", async () => {
    const parley = await spawnParley(["--data-dir", tempDir(), "--shutdown-ms", "1000"]);
    const stuck = await RawClient.open(parley.wsPort, "/");
    stuck.socket.pause();
    const started = Date.now();
    parley.child.kill("SIGTERM");
    assert.equal(await parley.exited, 0);
    const took = Date.now() - started;
    assert.ok(took < 1000, `exited after ${took} ms, within its deadline`);
    stuck.destroy();
  });
});
