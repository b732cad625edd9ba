import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { ADMIN_TOKEN, call, createKey } from "../helpers/api.ts";
import { freePort } from "../helpers/engines.ts";
import { startTestParley, tempDir } from "../helpers/parley.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));
const readme = readFileSync(join(root, "README.md"), "utf8");

const example = (name: string): string => {
  const match = new RegExp(`<!-- example: ${name} -->\\n\`\`\`\\w+\\n([\\s\\S]*?)\`\`\``).exec(readme);
  assert.ok(match?.[1], `README example ${name} is missing`);
  return match[1];
};

describe("the README's webhook receiver runs", () => {
  test("it prints each signed message once and refuses a forged one", async () => {
    // As a user would have it: the file in a project of theirs with standardwebhooks installed.
    const dir = tempDir("parley-receiver-");
    writeFileSync(join(dir, "receiver.mjs"), example("receiver"));
    symlinkSync(join(root, "node_modules"), join(dir, "node_modules"));
    const parley = await startTestParley({ adminToken: ADMIN_TOKEN });
    const port = await freePort();
    let receiver: ChildProcess | undefined;
    try {
      const made = await call(parley.port, "POST", "/admin/api/webhooks", {
        auth: ADMIN_TOKEN,
        body: { url: `http://127.0.0.1:${port}/`, events: ["message.created"], rooms: ["deploys"] },
      });
      assert.equal(made.status, 201);
      receiver = spawn(process.execPath, ["receiver.mjs"], {
        cwd: dir,
        env: { ...process.env, PORT: String(port), PARLEY_WEBHOOK_SECRET: made.body.secret },
        stdio: ["ignore", "pipe", "inherit"],
      });
      let out = "";
      receiver.stdout?.on("data", (chunk: Buffer) => {
        out += chunk.toString();
      });
      const key = (await createKey(parley.port, { name: "ci", rooms: ["deploys"], rights: ["publish"] })).secret;
      for (const text of ["build 1", "deploy 1.4.2 done"]) {
        const answer = await call(parley.port, "POST", "/api/v1/rooms/deploys/messages", { auth: key, body: { text } });
        assert.equal(answer.status, 201);
      }
      const deadline = Date.now() + 15_000;
      while (out.split("\n").length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      assert.equal(out, "deploys #1 bot:ci: build 1\ndeploys #2 bot:ci: deploy 1.4.2 done\n");
      const forged = await fetch(`http://127.0.0.1:${port}/`, {
        method: "POST",
        headers: {
          "webhook-id": "msg_forged",
          "webhook-timestamp": String(Math.floor(Date.now() / 1000)),
          "webhook-signature": "v1,bm90IGEgc2lnbmF0dXJl",
        },
        body: JSON.stringify({ type: "message.created", data: { room: "deploys", seq: 9, nick: "x", text: "forged" } }),
      });
      assert.equal(forged.status, 401);
      const listed = await call(parley.port, "GET", "/admin/api/webhooks", { auth: ADMIN_TOKEN });
      assert.equal(listed.body.endpoints[0].lastStatus, 204);
      assert.doesNotMatch(out, /forged/);
    } finally {
      receiver?.kill();
      await parley.close();
    }
  });
});
