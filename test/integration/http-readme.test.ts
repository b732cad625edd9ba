import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { promisify } from "node:util";
import { ADMIN_TOKEN, call, createKey } from "../helpers/api.ts";
import { browserSkip, launchBrowser, watchErrors } from "../helpers/browser.ts";
import { startTestParley, tempDir } from "../helpers/parley.ts";
import { hsToken, newSecret } from "../helpers/tokens.ts";

const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");

/** The code block after `<!-- example: name -->` in the README, as a reader would copy it. */
const example = (name: string): string => {
  const match = new RegExp(`<!-- example: ${name} -->\\n\`\`\`\\w+\\n([\\s\\S]*?)\`\`\``).exec(readme);
  assert.ok(match?.[1], `README example ${name} is missing`);
  return match[1];
};

describe("the README's HTTP API examples run", () => {
  test("curl from CI: posts once, and a retried job posts the same message", async () => {
    const parley = await startTestParley({ adminToken: ADMIN_TOKEN });
    try {
      const key = (await createKey(parley.port, { name: "ci", rooms: ["deploys"], rights: ["publish", "read"] }))
        .secret;
      const env = {
        ...process.env,
        PARLEY_URL: `http://127.0.0.1:${parley.port}`,
        PARLEY_KEY: key,
        CI_PIPELINE_ID: "8812",
      };
      const run = async () => JSON.parse((await promisify(execFile)("bash", ["-c", example("curl")], { env })).stdout);
      const first = await run();
      const second = await run();
      assert.equal(first.message.text, "deploy 1.4.2 done");
      assert.equal(first.message.nick, "bot:ci");
      assert.equal(second.message.seq, first.message.seq);
      const history = await call(parley.port, "GET", "/api/v1/rooms/deploys/messages?since=0", { auth: key });
      assert.equal(history.body.messages.length, 1);
    } finally {
      await parley.close();
    }
  });

  test("EventSource in Chromium: every message once, in order, across a server restart", {
    skip: browserSkip(),
  }, async () => {
    const secret = newSecret();
    const options = { adminToken: ADMIN_TOKEN, authSecret: secret, dataDir: tempDir() };
    let parley = await startTestParley(options);
    const port = parley.port;
    const key = (await createKey(port, { name: "ci", rooms: ["deploys"], rights: ["publish"] })).secret;
    const publish = async (text: string) => {
      const answer = await call(port, "POST", "/api/v1/rooms/deploys/messages", { auth: key, body: { text } });
      assert.equal(answer.status, 201);
    };
    const browser = await launchBrowser();
    try {
      const page = await browser.newPage();
      const errors = watchErrors(page);
      const lines: string[] = [];
      page.on("console", (message) => {
        if (message.type() === "log") lines.push(message.text());
      });
      await page.goto(`http://127.0.0.1:${port}/healthz`); // Parley's origin
      const token = await hsToken(secret, { sub: "dash", name: "dashboard" }, 600);
      await page.evaluate(
        `const token = ${JSON.stringify(token)};\n${example("eventsource")}\nwindow.events = events;`,
      );
      await page.waitForFunction(() => (window as unknown as { events: EventSource }).events.readyState === 1);
      await publish("one");
      await publish("two");
      const until = async (count: number) => {
        const deadline = Date.now() + 10_000;
        while (lines.length < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      };
      await until(2);
      await parley.close();
      parley = await startTestParley({ ...options, port });
      await publish("three"); // while the browser waits to reconnect
      await until(3);
      await publish("four");
      await until(4);
      assert.deepEqual(lines, ["bot:ci: one", "bot:ci: two", "bot:ci: three", "bot:ci: four"]);
      // Chromium logs the stream cut by the restart (and the missing favicon); nothing else went wrong.
      const expected = /ERR_INCOMPLETE_CHUNKED_ENCODING|ERR_CONNECTION_REFUSED|404 \(Not Found\)/;
      assert.deepEqual(
        errors.filter((e) => !expected.test(e)),
        [],
      );
    } finally {
      await browser.close();
      await parley.close();
    }
  });
});
