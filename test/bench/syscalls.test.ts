import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer, connect as tcpConnect } from "node:net";
import { test } from "node:test";
import { sleep } from "../../bench/lib/servers.ts";
import { countWrites } from "../../bench/lib/syscalls.ts";

// fanout-writes is only as true as this count: 200 socket writes made by this process's main
// thread inside the window are all seen (a few more of Node's own may be).
test("the server's write system calls are counted with perf's tracepoints", async (t) => {
  const server = createServer((socket) => socket.resume());
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  const client = tcpConnect({ host: "127.0.0.1", port: typeof address === "object" && address ? address.port : 0 });
  client.setNoDelay(true);
  await once(client, "connect");
  try {
    const started = performance.now();
    const counting = countWrites(process.pid, 4000);
    await sleep(400); // perf starts tracing a moment after it is spawned
    for (let i = 0; i < 200; i++) {
      client.write("x");
      await sleep(1); // one write call each, not one coalesced by the stream
    }
    assert.ok(performance.now() - started < 3500, "the writes took longer than the window");
    const writes = await counting;
    if (writes === null) {
      t.skip("perf or its syscall tracepoints are not available here");
      return;
    }
    assert.ok(writes >= 200 && writes < 400, `counted ${writes} writes`);
  } finally {
    client.destroy();
    server.close();
  }
});
