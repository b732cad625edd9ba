import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { RunningParley } from "../../src/server.ts";
import type { ParleyConfig } from "../../src/settings.ts";
import { startTestParley } from "../helpers/parley.ts";
import { RawClient, type RawOptions } from "../helpers/raw.ts";

/** The HTTP status an upgrade request gets (101 when accepted); the socket is closed afterwards. */
const statusOf = async (port: number, path: string, options: RawOptions = {}): Promise<number> => {
  const raw = await RawClient.open(port, path, options);
  raw.destroy();
  return raw.status;
};

const withParley = async (overrides: Partial<ParleyConfig>, body: (p: RunningParley) => Promise<void>) => {
  const parley = await startTestParley(overrides);
  try {
    await body(parley);
  } finally {
    await parley.close();
  }
};

describe("origin check (cross-site WebSocket hijacking)", { timeout: 30_000 }, () => {
  let parley: RunningParley;
  before(async () => {
    parley = await startTestParley();
  });
  after(() => parley.close());

  test("a foreign page gets 403 before the upgrade, on both ports", async () => {
    const raw = await RawClient.open(parley.port, "/chat", { headers: { Origin: "https://evil.example" } });
    assert.equal(raw.status, 403);
    assert.match(raw.head, /X-Content-Type-Options: nosniff/i);
    raw.destroy();
    assert.equal(await statusOf(parley.wsPort, "/", { headers: { Origin: "http://evil.example:12345" } }), 403);
    assert.equal(await statusOf(parley.wsPort, "/", { headers: { Origin: "null" } }), 403);
  });

  test("the Cookbook's setup works out of the box: a page on localhost, any port, and the page's own origin", async () => {
    for (const origin of ["http://localhost:8080", "http://127.0.0.1:3000", "http://[::1]:8080", "https://localhost"]) {
      assert.equal(await statusOf(parley.wsPort, "/", { headers: { Origin: origin } }), 101, origin);
    }
    // Parley's own page, same host and port as the request.
    const own = `http://127.0.0.1:${parley.port}`;
    assert.equal(await statusOf(parley.port, "/chat", { headers: { Origin: own } }), 101);
  });

  test("clients without an Origin (not browsers) are accepted", async () => {
    assert.equal(await statusOf(parley.wsPort, "/"), 101);
  });

  test("--loopback-origins refuse: only the page's own origin (and its page port) remain", async () => {
    await withParley({ loopbackOrigins: "refuse" }, async (p) => {
      assert.equal(await statusOf(p.wsPort, "/", { headers: { Origin: "http://localhost:8080" } }), 403);
      assert.equal(await statusOf(p.port, "/chat", { headers: { Origin: `http://127.0.0.1:${p.port}` } }), 101);
      // The page Parley serves may also use the Cookbook port on the same host.
      assert.equal(await statusOf(p.wsPort, "/", { headers: { Origin: `http://127.0.0.1:${p.port}` } }), 101);
      assert.equal(await statusOf(p.wsPort, "/", { headers: { Origin: "http://127.0.0.1:1" } }), 403);
    });
  });

  test("--allowed-origins admits exact origins and host:* patterns; --missing-origin refuse needs an Origin", async () => {
    const overrides = {
      allowedOrigins: "https://chat.example.com, http://intranet:*",
      loopbackOrigins: "refuse",
      missingOrigin: "refuse",
    } as const;
    await withParley(overrides, async (p) => {
      const status = (origin?: string) =>
        statusOf(p.wsPort, "/", origin === undefined ? {} : { headers: { Origin: origin } });
      assert.equal(await status("https://chat.example.com"), 101);
      assert.equal(await status("HTTPS://CHAT.EXAMPLE.COM"), 101);
      assert.equal(await status("http://chat.example.com"), 403);
      assert.equal(await status("https://chat.example.com.evil.example"), 403);
      assert.equal(await status("http://intranet:9000"), 101);
      assert.equal(await status("https://intranet:9000"), 403);
      assert.equal(await status(undefined), 403);
    });
  });
});

describe("connection caps", { timeout: 30_000 }, () => {
  test("past the per-address cap: 429; past the global cap: 503; a closed connection frees its slot", async () => {
    await withParley({ maxConnectionsPerIp: 2, maxConnections: 4 }, async (p) => {
      const open = async (localAddress: string) => RawClient.open(p.wsPort, "/", { localAddress });
      const a1 = await open("127.0.0.1");
      const a2 = await open("127.0.0.1");
      assert.deepEqual([a1.status, a2.status], [101, 101]);
      const a3 = await open("127.0.0.1");
      assert.equal(a3.status, 429);
      assert.match(a3.head, /Retry-After: \d+/i);
      const b1 = await open("127.0.0.2");
      const b2 = await open("127.0.0.2");
      assert.deepEqual([b1.status, b2.status], [101, 101]);
      const c1 = await open("127.0.0.3");
      assert.equal(c1.status, 503);
      a1.destroy();
      await a1.ended$;
      // The slot is released when the server sees the socket go; poll a little.
      let status = 0;
      for (let i = 0; i < 50 && status !== 101; i++) {
        const again = await open("127.0.0.3");
        status = again.status;
        if (status !== 101) {
          again.destroy();
          await new Promise((resolve) => setTimeout(resolve, 20));
        } else again.destroy();
      }
      assert.equal(status, 101);
      for (const c of [a2, a3, b1, b2, c1]) c.destroy();
    });
  });

  test("a handshake that `ws` refuses (bad version) frees its slot", async () => {
    await withParley({ maxConnectionsPerIp: 1 }, async (p) => {
      const bad = await RawClient.open(p.wsPort, "/", { headers: { "Sec-WebSocket-Version": "99" } });
      assert.equal(bad.status, 400);
      bad.destroy();
      let status = 0;
      for (let i = 0; i < 50 && status !== 101; i++) {
        const good = await RawClient.open(p.wsPort, "/");
        status = good.status;
        good.destroy();
        if (status !== 101) await new Promise((resolve) => setTimeout(resolve, 20));
      }
      assert.equal(status, 101);
    });
  });

  test("X-Forwarded-For is ignored unless the peer is a trusted proxy", async () => {
    await withParley({ maxConnectionsPerIp: 1 }, async (p) => {
      const first = await RawClient.open(p.wsPort, "/", { headers: { "X-Forwarded-For": "10.0.0.1" } });
      const second = await RawClient.open(p.wsPort, "/", { headers: { "X-Forwarded-For": "10.0.0.2" } });
      assert.deepEqual([first.status, second.status], [101, 429]);
      first.destroy();
      second.destroy();
    });
    await withParley({ maxConnectionsPerIp: 1, trustedProxies: "127.0.0.1" }, async (p) => {
      const open = (xff: string) => RawClient.open(p.wsPort, "/", { headers: { "X-Forwarded-For": xff } });
      const first = await open("10.0.0.1");
      const second = await open("10.0.0.2");
      // A client can prepend anything; the proxy appends the address it saw, which is what counts.
      const spoofed = await open("10.0.0.2, 10.0.0.1");
      assert.deepEqual([first.status, second.status, spoofed.status], [101, 101, 429]);
      for (const c of [first, second, spoofed]) c.destroy();
    });
  });
});
