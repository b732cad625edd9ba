// test-runner: alone (asserts closes at the handshake deadline)
import assert from "node:assert/strict";
import { Agent, request } from "node:http";
import { connect as tcpConnect } from "node:net";
import { after, before, describe, test } from "node:test";
import type { RunningParley } from "../../src/server.ts";
import { connect } from "../helpers/client.ts";
import { captureLogs, type LogLine } from "../helpers/logs.ts";
import { startTestParley } from "../helpers/parley.ts";
import { parsePrometheus, sampleValue } from "../helpers/prometheus.ts";

const DEADLINE_MS = 800;
const CAP = 5;

/** A slowloris socket: a request line, then one more header line every 100 ms, never the blank line. */
interface SlowSocket {
  /** Everything the server wrote back. */
  answer(): string;
  /** Resolves with the milliseconds from connect to the server closing the socket. */
  closed: Promise<number>;
  stop(): void;
}

const slowSocket = (port: number, localAddress: string): Promise<SlowSocket> =>
  new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = tcpConnect({ port, host: "127.0.0.1", localAddress });
    let received = "";
    let timer: NodeJS.Timeout | undefined;
    socket.on("data", (chunk: Buffer) => {
      received += chunk.toString("latin1");
    });
    socket.on("error", () => {});
    const closed = new Promise<number>((done) => {
      socket.once("close", () => {
        clearInterval(timer);
        done(Date.now() - started);
      });
    });
    socket.once("connect", () => {
      socket.write(`GET /chat/lobby HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n`);
      let n = 0;
      timer = setInterval(() => {
        if (!socket.destroyed) socket.write(`X-Slow-${n++}: a\r\n`);
      }, 100);
      resolve({ answer: () => received, closed, stop: () => socket.destroy() });
    });
    socket.once("error", reject);
  });

const metricValue = async (parley: RunningParley, name: string, labels: Record<string, string> = {}) => {
  const body = await (await fetch(`http://127.0.0.1:${parley.port}/metrics`)).text();
  return sampleValue(parsePrometheus(body), name, labels);
};

describe("slowloris: sockets that never finish their request", { timeout: 30_000 }, () => {
  let parley: RunningParley;
  const logs = captureLogs();
  before(async () => {
    parley = await startTestParley(
      { handshakeTimeoutMs: DEADLINE_MS, maxHandshakesPerIp: CAP, logLevel: "warn" },
      { logStream: logs.stream },
    );
  });
  after(() => parley.close());

  test("one address is capped and cut at the deadline on both ports; a normal client connects and chats", async () => {
    // The attacker: 127.0.0.2. Its first CAP sockets are held (some on each port), the rest refused at once.
    const held = [
      ...(await Promise.all([0, 1, 2].map(() => slowSocket(parley.port, "127.0.0.2")))),
      ...(await Promise.all([0, 1].map(() => slowSocket(parley.wsPort, "127.0.0.2")))),
    ];
    const over = await Promise.all(
      [parley.port, parley.wsPort, parley.port, parley.wsPort].map((port) => slowSocket(port, "127.0.0.2")),
    );
    for (const socket of over) {
      assert.ok((await socket.closed) < DEADLINE_MS / 2, "a socket over the cap is closed at once");
      assert.match(socket.answer(), /^HTTP\/1\.1 429 /);
      assert.match(socket.answer(), /Retry-After: 1/);
    }

    assert.ok((await metricValue(parley, "parley_handshakes_unfinished")) >= held.length);

    // Meanwhile someone else (127.0.0.1) loads the page and chats on both ports.
    const page = await fetch(`http://127.0.0.1:${parley.port}/`);
    assert.equal(page.status, 200);
    const viaPage = await connect(`ws://127.0.0.1:${parley.port}/chat/lobby`);
    const viaCookbook = await connect(`ws://127.0.0.1:${parley.wsPort}/chat/lobby`);
    // Both are in the room once `/who` lists two (text mode announces no joins).
    for (let listed = 0; listed < 2; ) {
      viaPage.send("/who");
      const who = await viaPage.nextMatching((f) => f.startsWith(" .... in lobby:"));
      listed = who.split(",").length;
    }
    viaPage.send("still here");
    assert.match(await viaCookbook.nextMatching((f) => f.includes("still here")), /still here/);

    // The held ones: closed with 408 at the deadline (not at Node's 30 s sweep), although they kept sending.
    for (const socket of held) {
      const ms = await socket.closed;
      assert.ok(ms >= DEADLINE_MS - 50 && ms < DEADLINE_MS + 700, `closed after ${ms} ms`);
      assert.match(socket.answer(), /^HTTP\/1\.1 408 /);
    }
    // The open WebSockets were finished handshakes: untouched by the deadline.
    viaCookbook.send("after the deadline");
    assert.match(await viaPage.nextMatching((f) => f.includes("after the deadline")), /after the deadline/);

    assert.equal(await metricValue(parley, "parley_handshakes_cut_total", { reason: "timeout" }), held.length);
    assert.equal(await metricValue(parley, "parley_handshakes_cut_total", { reason: "per_ip" }), over.length);
    // What is left: this test's own idle keep-alive fetch sockets, waiting for a next request.
    assert.ok((await metricValue(parley, "parley_handshakes_unfinished")) <= 2);
    // Logged, but a few lines per flood, not one per socket.
    const cuts = logs.lines().filter((l: LogLine) => l.event === "handshake_cut");
    assert.equal(cuts.length, 2, JSON.stringify(cuts));
    assert.deepEqual(cuts.map((l) => l.reason).sort(), ["per_ip", "timeout"]);
    await viaPage.close();
    await viaCookbook.close();
  });

  test("keep-alive page requests keep working: the socket waits for its next request under the deadline", async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const get = (path: string) =>
      new Promise<{ status: number; port: number }>((resolve, reject) => {
        const req = request({ host: "127.0.0.1", port: parley.port, path, agent }, (res) => {
          res.resume();
          res.on("end", () => resolve({ status: res.statusCode ?? 0, port: req.socket?.localPort ?? 0 }));
        });
        req.on("error", reject);
        req.end();
      });
    const first = await get("/healthz");
    await new Promise((r) => setTimeout(r, DEADLINE_MS / 2));
    const second = await get("/healthz");
    assert.equal(first.status, 200);
    assert.equal(second.status, 200);
    assert.equal(second.port, first.port, "the second request went over the same kept-alive socket");
    agent.destroy();
  });

  test("a trusted proxy's address carries many clients: not capped, but its unfinished sockets still get the deadline", async () => {
    const proxied = await startTestParley({
      handshakeTimeoutMs: DEADLINE_MS,
      maxHandshakesPerIp: 2,
      trustedProxies: "127.0.0.4",
    });
    try {
      const sockets = await Promise.all([0, 1, 2, 3, 4].map(() => slowSocket(proxied.port, "127.0.0.4")));
      for (const socket of sockets) {
        const ms = await socket.closed;
        assert.ok(ms >= DEADLINE_MS - 50, `held until the deadline, not refused (${ms} ms)`);
        assert.match(socket.answer(), /^HTTP\/1\.1 408 /);
      }
    } finally {
      await proxied.close();
    }
  });
});
