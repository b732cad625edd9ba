import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { SignJWT } from "jose";
import { createVerifier, TokenError } from "../../src/auth/tokens.ts";
import { hsToken, newSecret, nowSec } from "../helpers/tokens.ts";

const refused = (reason: TokenError["reason"]) => (error: unknown) =>
  error instanceof TokenError && error.reason === reason;

describe("token verifier", () => {
  const secret = newSecret();
  const verify = createVerifier({ secret, clockToleranceSec: 5, audience: "parley", issuer: "https://app.example" });
  const sign = (claims: Record<string, unknown>, ttl = 60) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: "HS256" })
      .setExpirationTime(nowSec() + ttl)
      .sign(new TextEncoder().encode(secret));
  const base = { sub: "u-1", name: "Uma", aud: "parley", iss: "https://app.example" };

  test("reads sub, name, exp and rooms ('*' is all)", async () => {
    const identity = await verify(await sign({ ...base, rooms: ["ops", "hr"] }));
    assert.equal(identity.id, "u-1");
    assert.equal(identity.name, "Uma");
    assert.deepEqual(identity.rooms, new Set(["ops", "hr"]));
    assert.ok(Math.abs(identity.expiresAt - (nowSec() + 60) * 1000) <= 2000);
    assert.equal((await verify(await sign({ ...base, rooms: ["*"] }))).rooms, "all");
    assert.deepEqual((await verify(await sign(base))).rooms, new Set(), "no rooms: public rooms only");
  });

  test("picture: an https: URL or a small raster data: image is kept; anything else is ignored, the token still valid", async () => {
    const pictureOf = async (picture: unknown) => (await verify(await sign({ ...base, picture }))).picture;
    assert.equal(await pictureOf("https://images.example/u/1.png?s=64"), "https://images.example/u/1.png?s=64");
    const dot =
      "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";
    assert.equal(await pictureOf(dot), dot);
    for (const ignored of [
      "http://images.example/1.png", // would leak over plain HTTP and be mixed content
      "javascript:alert(1)",
      "https://user:pass@images.example/1.png",
      `https://images.example/${"a".repeat(2100)}`,
      "data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=",
      `data:image/png;base64,${"A".repeat(17 * 1024)}`,
      "data:text/html;base64,PGI+aGk8L2I+",
      "not a url",
      42,
    ]) {
      assert.equal(await pictureOf(ignored), undefined, String(ignored).slice(0, 40));
    }
  });

  test("refuses wrong audience or issuer, bad claims, expiry beyond the tolerance, not-yet-valid tokens", async () => {
    await assert.rejects(verify(await sign({ ...base, aud: "other" })), refused("invalid"));
    await assert.rejects(verify(await sign({ ...base, iss: "https://evil.example" })), refused("invalid"));
    await assert.rejects(verify(await sign({ ...base, rooms: "ops" })), refused("invalid"), "a string that is not *");
    await assert.rejects(verify(await sign({ ...base, rooms: [1] })), refused("invalid"));
    await assert.rejects(verify(await sign({ ...base, name: "x".repeat(33) })), refused("invalid"));
    await assert.rejects(verify(await sign({ ...base, name: "bad\nname" })), refused("invalid"));
    await assert.rejects(verify(await sign({ ...base, sub: undefined })), refused("invalid"));
    await assert.rejects(verify(await sign(base, -10)), refused("expired"));
    await verify(await sign(base, -2)); // within the 5 s tolerance
    await assert.rejects(verify(await sign({ ...base, nbf: nowSec() + 60 })), refused("invalid"));
    await assert.rejects(verify(""), refused("missing"));
  });

  test("refuses a short secret and a configuration without keys", () => {
    assert.throws(() => createVerifier({ secret: "short", clockToleranceSec: 0 }), /at least 32 bytes/);
    assert.throws(() => createVerifier({ clockToleranceSec: 0 }), /No auth secret or public key/);
  });

  test("a token from the test helper for another secret is refused", async () => {
    await assert.rejects(verify(await hsToken(newSecret(), base)), refused("invalid"));
  });
});
