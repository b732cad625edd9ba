import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { promisify } from "node:util";
import { ADMIN_TOKEN, call, createKey } from "../helpers/api.ts";
import { startTestParley } from "../helpers/parley.ts";

const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");

test("the README's search example runs: it finds the release message, marks its words, skips staging", async () => {
  const block = /<!-- example: search-curl -->\n```sh\n([\s\S]*?)```/.exec(readme)?.[1];
  assert.ok(block, "README example search-curl is missing");
  const parley = await startTestParley({ adminToken: ADMIN_TOKEN });
  try {
    const key = (await createKey(parley.port, { name: "ci", rooms: ["deploys"], rights: ["publish", "read"] })).secret;
    for (const text of ["deploy release 1.4 done", "deploy release 1.4 to staging", "release notes for 1.3"]) {
      const posted = await call(parley.port, "POST", "/api/v1/rooms/deploys/messages", { auth: key, body: { text } });
      assert.equal(posted.status, 201);
    }
    const env = { ...process.env, PARLEY_URL: `http://127.0.0.1:${parley.port}`, PARLEY_KEY: key };
    const answer = JSON.parse((await promisify(execFile)("bash", ["-c", block], { env })).stdout);
    assert.equal(answer.next, null);
    assert.equal(answer.truncated, false);
    const [hit] = answer.hits;
    assert.equal(answer.hits.length, 1);
    assert.equal(hit.text, "deploy release 1.4 done");
    assert.deepEqual(hit.marks, [
      [0, 6],
      [7, 18],
    ]);
  } finally {
    await parley.close();
  }
});
