import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ADMIN_TOKEN, call, createKey } from "../helpers/api.ts";
import { browserSkip, launchBrowser } from "../helpers/browser.ts";
import { startTestParley } from "../helpers/parley.ts";
import { WebhookReceiver } from "../helpers/webhook-receiver.ts";

describe("the admin page's webhooks and API keys in Chromium", { skip: browserSkip() }, () => {
  test("registers an endpoint (secret shown once), shows its deliveries and a key's use, disables it", async () => {
    const parley = await startTestParley({ adminToken: ADMIN_TOKEN });
    const browser = await launchBrowser();
    const receiver = await WebhookReceiver.start();
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on("pageerror", (error) => errors.push(error.message));
      page.on("console", (message) => {
        if (message.type() === "error") errors.push(message.text());
      });
      await page.goto(`http://127.0.0.1:${parley.port}/admin`);
      await page.fill("#token", ADMIN_TOKEN);
      await page.click("#login button");
      await page.waitForSelector("#panel:not([hidden])");

      await page.fill("#webhook-url", receiver.url);
      await page.fill("#webhook-rooms", "deploys");
      await page.click("#webhook-form button");
      await page.waitForSelector("#webhook-secret:not([hidden])");
      receiver.secret = /(whsec_\S+)$/.exec((await page.textContent("#webhook-secret")) ?? "")?.[1] ?? "";
      assert.match(receiver.secret, /^whsec_/);

      const key = (await createKey(parley.port, { name: "ci", rooms: ["deploys"], rights: ["publish"] })).secret;
      for (const text of ["one", "two"]) {
        const answer = await call(parley.port, "POST", "/api/v1/rooms/deploys/messages", { auth: key, body: { text } });
        assert.equal(answer.status, 201);
      }
      await receiver.until((r) => r.events.length === 2);
      // The node counts an attempt once its answer is in: wait for that, then refresh the page.
      for (let i = 0; i < 100; i++) {
        const listed = await call(parley.port, "GET", "/admin/api/webhooks", { auth: ADMIN_TOKEN });
        if (listed.body.endpoints[0]?.figures.delivered === 2) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await page.click("#refresh");
      const hook = page.locator("#webhooks tbody tr", { hasText: receiver.url });
      await page.waitForFunction(
        () => document.querySelector("#webhooks tbody tr td:nth-child(5)")?.textContent === "2",
      );
      assert.equal(await hook.locator("td").nth(2).textContent(), "enabled");
      assert.equal(await hook.locator("td").nth(3).textContent(), "HTTP 204");
      assert.equal(await hook.locator("td").nth(5).textContent(), "0");
      assert.match((await hook.locator("td").nth(6).textContent()) ?? "", /^\d+ ms$/);
      const keyRow = page.locator("#keys tbody tr", { hasText: "ci" });
      assert.equal(await keyRow.locator("td").nth(3).textContent(), "2");
      assert.equal(await keyRow.locator("td").nth(5).textContent(), "active");

      await hook.locator("button", { hasText: "Disable" }).click();
      await page.waitForFunction(() =>
        document.querySelector("#webhooks tbody tr td:nth-child(3)")?.textContent?.startsWith("disabled"),
      );
      assert.equal(await hook.locator("td").nth(2).textContent(), "disabled: Disabled by an administrator.");
      assert.deepEqual(errors, [], "no page errors, no CSP violations");
    } finally {
      await browser.close();
      await receiver.close();
      await parley.close();
    }
  });
});
