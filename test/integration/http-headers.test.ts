import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { RunningParley } from "../../src/server.ts";
import { startTestParley } from "../helpers/parley.ts";
import { RawClient } from "../helpers/raw.ts";

describe("security headers on every HTTP response", { timeout: 30_000 }, () => {
  let parley: RunningParley;
  before(async () => {
    parley = await startTestParley();
  });
  after(() => parley.close());

  const requests: Array<[string, string, number]> = [
    ["GET", "/", 200],
    ["HEAD", "/", 200],
    ["GET", "/healthz", 200],
    ["GET", "/readyz", 200],
    ["GET", "/no-such-thing", 404],
    ["POST", "/", 405],
    ["GET", "/chat", 426],
  ];

  for (const [method, path, status] of requests) {
    test(`${method} ${path}: nosniff, no server or framework banner`, async () => {
      const res = await fetch(`http://127.0.0.1:${parley.port}${path}`, { method });
      assert.equal(res.status, status);
      assert.equal(res.headers.get("x-content-type-options"), "nosniff");
      assert.equal(res.headers.get("x-powered-by"), null);
      assert.equal(res.headers.get("server"), null);
      await res.arrayBuffer();
    });
  }

  test("the page has a Content-Security-Policy that forbids inline script, framing and foreign connections", async () => {
    const res = await fetch(`http://127.0.0.1:${parley.port}/`);
    const csp = res.headers.get("content-security-policy") ?? "";
    const directives = new Map(
      csp.split(";").map((d) => {
        const [name, ...values] = d.trim().split(/\s+/);
        return [name ?? "", values] as const;
      }),
    );
    assert.ok(directives.get("default-src")?.includes("'none'") || directives.get("default-src")?.includes("'self'"));
    assert.ok(!(directives.get("script-src") ?? []).includes("'unsafe-inline'"), "no inline script");
    assert.deepEqual(directives.get("frame-ancestors"), ["'none'"]);
    assert.ok(directives.has("connect-src"));
    await res.text();
  });

  test("the Cookbook port's plain HTTP answer and handshake refusals carry nosniff too", async () => {
    const res = await fetch(`http://127.0.0.1:${parley.wsPort}/`);
    assert.equal(res.status, 426);
    assert.equal(res.headers.get("x-content-type-options"), "nosniff");
    assert.equal(res.headers.get("server"), null);
    await res.text();
    const refused = await RawClient.open(parley.wsPort, "/chat/bad%room");
    assert.equal(refused.status, 400);
    assert.match(refused.head, /X-Content-Type-Options: nosniff/i);
    assert.doesNotMatch(refused.head, /^Server:/im);
    refused.destroy();
  });
});
