import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { RunningParley } from "../../src/server.ts";
import { connect } from "../helpers/client.ts";
import { handshake } from "../helpers/handshake.ts";
import { connectJson, ofType } from "../helpers/json.ts";
import { startTestParley, tempDir } from "../helpers/parley.ts";
import { hsToken, keyPair, newSecret, nowSec, signedToken, unsignedToken } from "../helpers/tokens.ts";

const alice = { sub: "u-alice", name: "alice" };

describe("signed tokens at the handshake (HS256, --auth required)", () => {
  const secret = newSecret();
  let parley: RunningParley;
  let base: string;
  before(async () => {
    parley = await startTestParley({ auth: "required", authSecret: secret, privateRooms: "vault" });
    base = `ws://127.0.0.1:${parley.wsPort}`;
  });
  after(() => parley.close());

  const offer = (token: string) => ({ "Sec-WebSocket-Protocol": `parley.v1, parley.token.${token}` });

  test("every bad token is refused with 401 before the upgrade, and the token is never echoed", async () => {
    const good = await hsToken(secret, alice);
    const cases: Array<[string, Record<string, string>]> = [
      ["missing", { "Sec-WebSocket-Protocol": "parley.v1" }],
      ["missing (text mode)", {}],
      ["forged: signed with another secret", offer(await hsToken(newSecret(), alice))],
      [
        "tampered claims",
        offer(
          good.replace(
            /\.[^.]+\./,
            `.${Buffer.from('{"sub":"root","name":"root","exp":9999999999}').toString("base64url")}.`,
          ),
        ),
      ],
      ["expired", offer(await hsToken(secret, alice, -60))],
      ["wrong algorithm: HS512 with the right secret", offer(await hsToken(secret, alice, 300, "HS512"))],
      ["alg: none", offer(unsignedToken(alice))],
      ["no exp", offer(await hsTokenWithoutExp(secret))],
      ["no name", offer(await hsToken(secret, { sub: "u-x" }))],
      ["garbage", offer("not.a.jwt")],
      ["bad bearer", { Authorization: `Bearer ${await hsToken(newSecret(), alice)}` }],
    ];
    for (const [what, headers] of cases) {
      const result = await handshake(`${base}/chat/lobby`, headers);
      assert.equal(result.status, 401, what);
      assert.match(String(result.headers["www-authenticate"]), /^Bearer realm="parley"/, what);
      assert.ok(!result.body.includes("eyJ"), `${what}: no token in the answer`);
    }
    const viaQuery = await handshake(`${base}/chat/lobby?token=${await hsToken(secret, alice, -60)}`);
    assert.equal(viaQuery.status, 401, "expired token in the query");
  });

  test("a good token is accepted three ways; the server answers parley.v1 only", async () => {
    const token = await hsToken(secret, alice);
    const result = await handshake(`${base}/chat/lobby`, offer(token));
    assert.equal(result.status, 101);
    assert.equal(result.headers["sec-websocket-protocol"], "parley.v1");

    const viaProtocol = await connectJson(`${base}/chat/lobby`, token);
    assert.equal(viaProtocol.raw.ws.protocol, "parley.v1");
    const welcome = await viaProtocol.expect(ofType("welcome"));
    assert.equal(welcome.nick, "alice");
    const user = welcome.user as { id: string; name: string; exp: number };
    assert.deepEqual([user.id, user.name], ["u-alice", "alice"]);
    assert.ok(Math.abs(user.exp - (nowSec() + 300)) <= 5, "exp is the token's");
    await viaProtocol.close();

    const viaHeader = await connect(`${base}/chat/lobby`, "parley.v1", { Authorization: `Bearer ${token}` });
    assert.equal(JSON.parse(await viaHeader.next()).nick, "alice");
    await viaHeader.close();

    // A Cookbook (text) client offers no subprotocol: the token goes in the query.
    const text = await connect(`${base}/?token=${token}`);
    text.send("hello from text");
    assert.equal(await text.next(), "alice: hello from text");
    await text.close();
  });

  test("a token offered as the only subprotocol is refused with 400 (a browser would fail it)", async () => {
    const result = await handshake(`${base}/`, {
      "Sec-WebSocket-Protocol": `parley.token.${await hsToken(secret, alice)}`,
    });
    assert.equal(result.status, 400);
  });

  test("the URL's room is private: 403 for a token that does not grant it, 101 for one that does", async () => {
    const plain = await hsToken(secret, alice);
    assert.equal((await handshake(`${base}/chat/vault`, offer(plain))).status, 403);
    assert.equal((await handshake(`${base}/chat/vault?since=0`, offer(plain))).status, 403);
    assert.equal((await handshake(`${base}/chat/vault?token=${plain}`)).status, 403, "text mode too");
    assert.equal(
      (await handshake(`${base}/chat/vault?autojoin=0`, offer(plain))).status,
      101,
      "?autojoin=0: the URL's room is not entered, so not checked",
    );
    const granted = await hsToken(secret, { ...alice, rooms: ["vault"] });
    assert.equal((await handshake(`${base}/chat/vault`, offer(granted))).status, 101);
    const all = await hsToken(secret, { ...alice, rooms: ["*"] });
    assert.equal((await handshake(`${base}/chat/vault`, offer(all))).status, 101);
  });
});

describe("signed tokens: RS256 and ES256 public keys, --auth optional", () => {
  test("RS256: accepted; HS256 signed with the public key and ES256 are refused", async () => {
    const rsa = await keyPair("RS256");
    const ec = await keyPair("ES256");
    const dir = tempDir();
    const pem = join(dir, "rsa.pem");
    writeFileSync(pem, rsa.publicPem);
    const parley = await startTestParley({ authPublicKey: pem, dataDir: dir });
    try {
      const base = `ws://127.0.0.1:${parley.wsPort}/chat/lobby`;
      const offer = (token: string) => ({ "Sec-WebSocket-Protocol": `parley.v1, parley.token.${token}` });
      assert.equal((await handshake(base, offer(await signedToken(rsa, "RS256", alice)))).status, 101);
      const confused = await hsToken(rsa.publicPem, alice);
      assert.equal((await handshake(base, offer(confused))).status, 401, "HS256 keyed with the public key");
      assert.equal((await handshake(base, offer(await signedToken(ec, "ES256", alice)))).status, 401);
      assert.equal((await handshake(base, offer(unsignedToken(alice)))).status, 401);
      // optional: no token is an anonymous Cookbook client, exactly as without auth
      const anonymous = await connect(`ws://127.0.0.1:${parley.wsPort}/`);
      anonymous.send("hi");
      assert.match(await anonymous.next(), /^user-\d+: hi$/);
      await anonymous.close();
    } finally {
      await parley.close();
    }
  });

  test("ES256: accepted; RS256 refused", async () => {
    const ec = await keyPair("ES256");
    const rsa = await keyPair("RS256");
    const dir = tempDir();
    const pem = join(dir, "ec.pem");
    writeFileSync(pem, ec.publicPem);
    const parley = await startTestParley({ authPublicKey: pem, auth: "required", dataDir: dir });
    try {
      const base = `ws://127.0.0.1:${parley.wsPort}/chat/lobby`;
      const offer = (token: string) => ({ "Sec-WebSocket-Protocol": `parley.v1, parley.token.${token}` });
      assert.equal((await handshake(base, offer(await signedToken(ec, "ES256", alice)))).status, 101);
      assert.equal((await handshake(base, offer(await signedToken(rsa, "RS256", alice)))).status, 401);
      assert.equal((await handshake(base, {})).status, 401);
    } finally {
      await parley.close();
    }
  });

  test("auth off (the default): tokens are ignored, everyone is an anonymous user-N", async () => {
    const parley = await startTestParley();
    try {
      const token = await hsToken(newSecret(), alice);
      const c = await connectJson(`ws://127.0.0.1:${parley.wsPort}/chat/lobby`, token);
      const welcome = await c.expect(ofType("welcome"));
      assert.match(String(welcome.nick), /^user-\d+$/);
      assert.equal(welcome.user, undefined);
      await c.close();
    } finally {
      await parley.close();
    }
  });
});

const hsTokenWithoutExp = async (secret: string): Promise<string> => {
  const { SignJWT } = await import("jose");
  return new SignJWT({ ...alice }).setProtectedHeader({ alg: "HS256" }).sign(new TextEncoder().encode(secret));
};
