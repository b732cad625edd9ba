// The WebSocket port's request-head parser (src/transport/request-head.ts) fed hostile heads directly.
import assert from "node:assert/strict";
import { test } from "node:test";
import { asksUpgrade, HeadError, parseRequestHead } from "../../src/transport/request-head.ts";

const parse = (text: string) => parseRequestHead(Buffer.from(text, "latin1"));

test("a browser's upgrade head: method, target, lower-cased headers, duplicates merged as node:http merges them", () => {
  const head = parse(
    "GET /chat/lobby?since=3 HTTP/1.1\r\nHost: a\r\nHost: b\r\nUpgrade: websocket\r\nConnection: keep-alive, Upgrade\r\n" +
      "Sec-WebSocket-Protocol: parley.v1\r\nsec-websocket-protocol:  parley.token.x \r\nCookie: a=1\r\nCookie: b=2",
  );
  assert.equal(head.method, "GET");
  assert.equal(head.url, "/chat/lobby?since=3");
  assert.equal(head.headers.host, "a");
  assert.equal(head.headers["sec-websocket-protocol"], "parley.v1, parley.token.x");
  assert.equal(head.headers.cookie, "a=1; b=2");
  assert.equal(asksUpgrade(head.headers), true);
  assert.equal(asksUpgrade(parse("GET / HTTP/1.1\r\nUpgrade: websocket").headers), false);
  assert.equal(Object.getPrototypeOf(parse("GET / HTTP/1.1\r\n__proto__: x").headers), null);
});

test("malformed heads are refused: request line, obs-fold, space before colon, bare LF, controls, no colon", () => {
  for (const bad of [
    "",
    "GET / HTTP/1.1 ",
    "GET  / HTTP/1.1",
    "GET / HTTP/2.0",
    "GET /a b HTTP/1.1",
    "G(T / HTTP/1.1",
    "GET / HTTP/1.1\r\nHost: a\r\n folded",
    "GET / HTTP/1.1\r\nHost : a",
    "GET / HTTP/1.1\r\nHost: a\nX: b",
    "GET / HTTP/1.1\r\nX: a\x00b",
    "GET / HTTP/1.1\r\nX: a\rb",
    "GET / HTTP/1.1\r\nno colon",
    "GET / HTTP/1.1\r\n: empty name",
    "GET /\x80 HTTP/1.1",
  ]) {
    assert.throws(() => parse(bad), HeadError, JSON.stringify(bad));
  }
});
