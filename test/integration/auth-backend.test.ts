import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import type { ParleyClient } from "parley-client";
import { startAuthBackend, stopAuthBackend } from "../helpers/auth-backend.ts";
import { RUN_SOURCES, runNode } from "../helpers/lines.ts";
import { startTestParley } from "../helpers/parley.ts";
import { nextEvent, sdkClient } from "../helpers/sdk.ts";
import { newSecret } from "../helpers/tokens.ts";

test("examples/auth-backend.ts: its tokens sign an SDK client in, with the private room they grant", async () => {
  const secret = newSecret();
  const parley = await startTestParley({ authSecret: secret, auth: "required", privateRooms: "team" });
  const { child, base } = await startAuthBackend({ PARLEY_AUTH_SECRET: secret });
  let alice: ParleyClient | undefined;
  try {
    assert.equal((await fetch(`${base}/token`)).status, 401, "no token before the app's login");
    const login = await fetch(`${base}/login?name=Alice`);
    const cookie = (login.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
    assert.match(cookie, /^demo_user=Alice$/);
    // What a Node app would write as its getToken; the page does the same with the browser's cookies.
    const getToken = async (): Promise<string> => {
      const response = await fetch(`${base}/token`, { headers: { cookie } });
      if (!response.ok) throw new Error(`token: ${response.status}`);
      return ((await response.json()) as { token: string }).token;
    };
    alice = sdkClient(`ws://127.0.0.1:${parley.port}/chat`, { getToken });
    const team = alice.join("team");
    await nextEvent(team, "joined");
    assert.deepEqual(alice.user && { id: alice.user.id, name: alice.user.name }, { id: "demo:alice", name: "Alice" });
    const exp = (alice.user?.exp ?? 0) * 1000 - Date.now();
    assert.ok(exp > 9 * 60_000 && exp <= 10 * 60_000, `ten minutes (${exp} ms)`);
    assert.equal((await team.send("hello team")).room, "team");
  } finally {
    await alice?.close();
    assert.equal(await stopAuthBackend(child), 0);
    await parley.close();
  }
});

test("examples/auth-backend.ts refuses to start without a usable secret", async () => {
  const saved = { ...process.env };
  process.env.PARLEY_AUTH_SECRET = "short";
  const child = runNode([...RUN_SOURCES, "examples/auth-backend.ts"]);
  process.env = saved;
  await child.line("stderr", /PARLEY_AUTH_SECRET.*at least 32 bytes/);
  assert.equal(await child.exited, 2);
});

test("the README's token-minting snippet is the example's code, line for line", () => {
  const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
  const example = readFileSync(new URL("../../examples/auth-backend.ts", import.meta.url), "utf8");
  const block =
    readme
      .split("```ts\n")
      .find((part) => part.includes("new SignJWT"))
      ?.split("```")[0] ?? "";
  const code = block
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("//"));
  assert.ok(code.length >= 8, "the snippet is there");
  for (const line of code) assert.ok(example.includes(line), `examples/auth-backend.ts has: ${line}`);
});
