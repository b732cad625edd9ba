import assert from "node:assert/strict";
import { test } from "node:test";
import { ConfigError } from "../../src/config.ts";
import { startTestParley } from "../helpers/parley.ts";
import { newSecret } from "../helpers/tokens.ts";

test("/parley-config.json tells the page where its token comes from; the page's CSP lets it fetch there", async () => {
  const plain = await startTestParley();
  const signed = await startTestParley({
    authSecret: newSecret(),
    auth: "required",
    authTokenUrl: "https://app.example.com/parley/token",
  });
  try {
    const off = await fetch(`http://127.0.0.1:${plain.port}/parley-config.json`);
    assert.equal(off.headers.get("content-type"), "application/json");
    assert.deepEqual(await off.json(), { authTokenUrl: null, auth: "off" });
    const page = await fetch(`http://127.0.0.1:${plain.port}/`);
    assert.match(page.headers.get("content-security-policy") ?? "", /connect-src 'self';/);

    const on = await fetch(`http://127.0.0.1:${signed.port}/parley-config.json`);
    assert.deepEqual(await on.json(), { authTokenUrl: "https://app.example.com/parley/token", auth: "required" });
    const signedPage = await fetch(`http://127.0.0.1:${signed.port}/`);
    assert.match(
      signedPage.headers.get("content-security-policy") ?? "",
      /connect-src 'self' https:\/\/app\.example\.com;/,
      "the token's origin only, not the whole web",
    );
  } finally {
    await plain.close();
    await signed.close();
  }
});

test("a token URL the page could not use stops the start with a clear error", async () => {
  for (const [url, why] of [
    ["app.example.com/token", /not a URL/],
    ["ftp://app.example.com/token", /must be http\(s\)/],
  ] as const) {
    await assert.rejects(startTestParley({ authTokenUrl: url }), (error: Error) => {
      assert.ok(error instanceof ConfigError, "a settings error: `parley` exits with 2");
      assert.match(error.message, /--auth-token-url/);
      assert.match(error.message, why);
      return true;
    });
  }
  const relative = await startTestParley({ authTokenUrl: "/parley-token" }); // behind the same proxy as the app
  await relative.close();
});
