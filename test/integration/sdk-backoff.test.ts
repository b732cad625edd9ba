import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import { createServer } from "node:net";
import { test } from "node:test";
import { backoffDelay } from "parley-client";
import { startTestParley } from "../helpers/parley.ts";
import { ManualTimers, nextEvent, sdkClient } from "../helpers/sdk.ts";

const freePort = (): Promise<number> =>
  new Promise((resolve) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });

test("backoffDelay: uniform below an exponential ceiling capped at maxDelay (full jitter)", () => {
  const bounds = { minDelay: 100, maxDelay: 1000 };
  const almostOne = () => 0.999999;
  assert.deepEqual(
    [1, 2, 3, 4, 5, 9].map((attempt) => backoffDelay(attempt, bounds, almostOne)),
    [99, 199, 399, 799, 999, 999],
  );
  assert.equal(
    backoffDelay(7, bounds, () => 0),
    0,
  );
  assert.equal(
    backoffDelay(3, bounds, () => 0.5),
    200,
  );
});

test("the client retries with the injected delays, and starts over once it got through", async () => {
  const port = await freePort(); // nobody listens here yet: every attempt is refused (1006)
  const timers = new ManualTimers();
  const randoms = [0.5, 0.25, 0.75, 0.5, 0.5, 0.5, 0.5];
  let draws = 0;
  const client = sdkClient(`ws://127.0.0.1:${port}/chat`, {
    timers,
    random: () => randoms[draws++] ?? 0.5,
    backoff: { minDelay: 100, maxDelay: 1000 },
  });
  const attempts: number[] = [];
  client.on("connecting", (s) => attempts.push(s.attempt));
  const delays: number[] = [];
  for (let n = 1; n <= 6; n++) {
    const retry = await nextEvent(client, "reconnecting");
    assert.equal(retry.code, 1006);
    assert.equal(retry.attempt, n);
    delays.push(retry.delay ?? -1);
    if (n < 6) timers.fire(retry.delay ?? -1); // "time passes"; nothing sleeps
  }
  assert.deepEqual(delays, [50, 50, 300, 400, 500, 500]);
  assert.deepEqual(attempts, [0, 1, 2, 3, 4, 5]);

  const parley = await startTestParley({ port });
  try {
    const connected = nextEvent(client, "connected");
    timers.fire(500);
    await connected;
    const afterDrop = nextEvent(client, "reconnecting");
    await parley.close(); // 1001 going away: come back
    const retry = await afterDrop;
    assert.equal(retry.code, 1001);
    assert.equal(retry.attempt, 1, "the count starts over after a successful connection");
    assert.equal(retry.delay, 50);
  } finally {
    await client.close();
    await parley.close();
  }
  assert.equal(timers.pending.size, 0);
});

test("an attempt that never opens is abandoned after connectTimeout and retried", async () => {
  // A server that accepts TCP and then says nothing: no handshake ever completes.
  const silent = createServer((socket) => socket.on("error", () => {}));
  await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
  const { port } = silent.address() as AddressInfo;
  const timers = new ManualTimers();
  const client = sdkClient(`ws://127.0.0.1:${port}/chat`, { timers, connectTimeout: 7000, random: () => 0.5 });
  try {
    await nextEvent(client, "connecting");
    const retry = nextEvent(client, "reconnecting");
    timers.fire(7000);
    const change = await retry;
    assert.equal(change.code, 1006);
    assert.match(change.reason ?? "", /no connection within 7000 ms/);
    assert.equal(change.attempt, 1);
  } finally {
    await client.close();
    silent.close();
  }
});
