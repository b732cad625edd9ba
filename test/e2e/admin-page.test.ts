import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Browser } from "playwright-core";
import type { RunningParley } from "../../src/server.ts";
import { browserSkip, launchBrowser } from "../helpers/browser.ts";
import { connectJson, ofType } from "../helpers/json.ts";
import { startTestParley } from "../helpers/parley.ts";

const TOKEN = "e2e-admin-token-abcdefghijklmnop";

describe("the admin page in Chromium", { skip: browserSkip() }, () => {
  let parley: RunningParley;
  let browser: Browser;
  before(async () => {
    parley = await startTestParley({ adminToken: TOKEN });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await parley?.close();
  });

  test("asks for the token, lists rooms and members as text, deletes a message and kicks a member", async () => {
    const room = "e2e-admin";
    const member = await connectJson(`ws://127.0.0.1:${parley.wsPort}/chat/${room}`);
    await member.untilJoined(room);
    const nick = "<img src=x>";
    member.send({ type: "nick", nick });
    await member.expect(ofType("nick"));
    member.send({ type: "send", text: "<b>to be deleted</b>", cid: "d1" });
    const ack = await member.expect(ofType("ack", { cid: "d1" }));

    const page = await browser.newPage();
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    page.on("console", (message) => {
      if (message.type() === "error" && !/401/.test(message.text())) errors.push(message.text());
    });
    // Kick and delete ask first; the test says yes, and checks what was asked.
    const questions: string[] = [];
    page.on("dialog", (dialog) => {
      questions.push(dialog.message());
      void dialog.accept();
    });
    await page.goto(`http://127.0.0.1:${parley.port}/admin`);

    await page.fill("#token", "a-wrong-token-of-some-length");
    await page.click("#login button");
    await page.waitForSelector("#status.error");
    assert.match((await page.textContent("#status")) ?? "", /refused/);
    assert.equal(await page.isVisible("#panel"), false);

    await page.fill("#token", TOKEN);
    await page.click("#login button");
    await page.waitForSelector("#panel:not([hidden])");
    const roomButton = page.locator("#rooms tbody tr", { hasText: room });
    assert.equal(await roomButton.locator("td").nth(1).textContent(), "1");
    await roomButton.locator("button").click();

    const memberRow = page.locator("#members tbody tr").first();
    await memberRow.waitFor();
    assert.equal(await memberRow.locator("td").first().textContent(), nick, "a nick is shown as text, not markup");
    assert.equal(await page.locator("#members img").count(), 0);
    const messageRow = page.locator("#messages tbody tr", { hasText: "to be deleted" });
    assert.equal(await messageRow.locator("td.text").textContent(), "<b>to be deleted</b>");

    await messageRow.locator("button").click();
    const deleted = await member.expect(ofType("delete"));
    assert.equal(deleted.seq, ack.seq);
    await page.locator("#messages tbody tr", { hasText: "to be deleted" }).waitFor({ state: "detached" });

    await memberRow.locator("button", { hasText: "Kick" }).click();
    assert.equal((await member.raw.closed).code, 4003);
    assert.equal(questions.length, 2, "delete and kick each asked first");
    assert.match(questions[0] ?? "", /^Delete message \d+ by /);
    assert.match(questions[1] ?? "", /^Kick .*\? They are disconnected at once\.$/);
    assert.deepEqual(errors, [], "no page errors, no CSP violations");
    await page.close();
  });
});
