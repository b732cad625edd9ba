import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import type { Browser, Page } from "playwright-core";
import type { RunningParley } from "../../src/server.ts";
import { browserSkip, launchBrowser, screenshot, watchErrors } from "../helpers/browser.ts";
import { startTestParley } from "../helpers/parley.ts";
import { nextEvent, sdkClient } from "../helpers/sdk.ts";

const skip = browserSkip();
const WAIT = { timeout: 20_000 };

/** How far the conversation is from its bottom, in px. */
const distanceFromBottom = (page: Page): Promise<number> =>
  page.locator("#scroller").evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight);

describe("phone viewport, accessibility, autoscroll; the SDK on a bare page", { skip }, () => {
  let parley: RunningParley;
  let browser: Browser;
  const errors: string[][] = [];
  before(async () => {
    parley = await startTestParley();
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await parley?.close();
    assert.deepEqual(errors.flat(), [], "no script errors on any page");
  });

  test("on a phone: labelled controls, panels behind buttons, a live log, Send sends, autoscroll unless scrolled up", async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 740 }, isMobile: true, hasTouch: true });
    const page = await context.newPage();
    errors.push(watchErrors(page));
    await page.goto(`http://127.0.0.1:${parley.port}/#phone`);
    await page
      .getByRole("status")
      .filter({ hasText: /^Connected$/ })
      .waitFor(WAIT);

    // Every control has an accessible name; rooms and people are behind the header's buttons, the conversation first.
    assert.ok(await page.getByRole("textbox", { name: "Message" }).isVisible(), `textbox "Message" is visible`);
    for (const [panel, name] of [
      ["People", "Your nickname"],
      ["Rooms", "Go to room"],
    ] as const) {
      assert.equal(await page.getByRole("textbox", { name }).isVisible(), false, `"${name}" waits behind ${panel}`);
      await page.getByRole("button", { name: panel }).click();
      assert.ok(await page.getByRole("textbox", { name }).isVisible(), `textbox "${name}" is visible`);
      await page.keyboard.press("Escape");
    }
    const log = page.getByRole("log", { name: "Messages in phone" });
    // The log is not read out as rows are drawn while scrolling (long rooms are windowed); new messages are, one by one.
    assert.equal(await log.getAttribute("aria-live"), "off");
    assert.ok(await page.getByRole("button", { name: "Send" }).isVisible());
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `no sideways scrolling on a phone (overflow ${overflow}px)`);

    // Keyboard only: focus the message box, type; on a touch screen Enter is a new line and Send sends.
    await page.getByRole("textbox", { name: "Message" }).focus();
    await page.keyboard.type("typed on a phone");
    await page.keyboard.press("Enter");
    await page.keyboard.type("second line");
    await page.keyboard.press("Tab");
    await page.keyboard.press("Enter");
    await page.locator(".message .text", { hasText: "typed on a phonesecond line" }).waitFor(WAIT);

    const other = sdkClient(`ws://127.0.0.1:${parley.port}/chat`, { nick: "chatty" });
    const room = other.join("phone");
    await nextEvent(room, "joined");
    for (let i = 1; i <= 40; i++) await room.send(`line ${i} ${"lorem ipsum ".repeat(i % 4)}`);
    await page.locator(".message .text", { hasText: "line 40" }).waitFor(WAIT);
    const announced = page.locator("[aria-live=polite]:not([hidden])", { hasText: "chatty: line 40" });
    assert.equal(await announced.count(), 1, "the new message is announced");
    assert.ok((await announced.locator("p").count()) <= 5, "only the last few lines stay in the live region");
    assert.ok((await distanceFromBottom(page)) < 5, "followed the new messages to the bottom");

    await page.locator("#scroller").evaluate((el) => {
      el.scrollTop = 0;
    });
    await room.send("while reading up");
    await page.locator(".message .text", { hasText: "while reading up" }).waitFor({ state: "attached", ...WAIT });
    assert.equal(await page.locator("#scroller").evaluate((el) => el.scrollTop), 0, "left where the reader was");

    await page.locator("#scroller").evaluate((el) => {
      el.scrollTop = el.scrollHeight;
    });
    await room.send("back at the bottom");
    await page.locator(".message .text", { hasText: "back at the bottom" }).waitFor(WAIT);
    assert.ok((await distanceFromBottom(page)) < 5, "follows again once back at the bottom");
    await screenshot(page, "page-phone");
    await other.close();
    await context.close();
  });

  test("a long room shows its latest page; older messages load on request, in order", async () => {
    const writer = sdkClient(`ws://127.0.0.1:${parley.port}/chat`);
    const room = writer.join("long");
    await nextEvent(room, "joined");
    const sent = Array.from({ length: 65 }, (_, i) => `long ${i + 1}`);
    for (const text of sent) await room.send(text);
    await writer.close();
    const context = await browser.newContext();
    const page = await context.newPage();
    errors.push(watchErrors(page));
    await page.goto(`http://127.0.0.1:${parley.port}/#long`);
    const texts = page.locator(".messages:not([hidden]) .message .text");
    await texts.filter({ hasText: /^long 65$/ }).waitFor(WAIT);
    assert.deepEqual(await texts.allTextContents(), sent.slice(15), "the latest 50");
    await page.getByRole("button", { name: "Load older messages" }).click();
    await texts.filter({ hasText: /^long 1$/ }).waitFor(WAIT);
    assert.deepEqual(await texts.allTextContents(), sent, "all 65, once each, in order");
    await page.getByRole("button", { name: "Load older messages" }).waitFor({ state: "hidden", ...WAIT });
    await context.close();
  });

  test("a bare page loads the SDK as an ES module (no bundler) and chats with a Node client", async () => {
    const base = `http://127.0.0.1:${parley.port}`;
    const context = await browser.newContext();
    const page = await context.newPage();
    errors.push(watchErrors(page));
    // A page of the user's own, on its own site: nothing but a module script importing Parley's SDK file.
    const bare = `<!doctype html><meta charset="utf-8"><title>bare</title><ul id="log"></ul>
<script type="module">
  import { connect } from "${base}/parley-client.js";
  const client = connect("ws://127.0.0.1:${parley.port}/chat", { nick: "browser" });
  const room = client.join("bare");
  room.on("message", (m) => {
    const li = document.createElement("li");
    li.textContent = m.nick + ": " + m.text;
    document.getElementById("log").append(li);
  });
  room.on("joined", () => { document.body.dataset.joined = "yes"; });
  window.room = room;
</script>`;
    const site = createServer((_req, res) => {
      res.writeHead(200, { "Content-Type": "text/html" });
      res.end(bare);
    });
    await new Promise<void>((resolve) => site.listen(0, "127.0.0.1", resolve));
    await page.goto(`http://127.0.0.1:${(site.address() as AddressInfo).port}/`);
    await page.locator("body[data-joined=yes]").waitFor({ state: "attached", ...WAIT });

    const node = sdkClient(`ws://127.0.0.1:${parley.port}/chat`, { nick: "node" });
    const room = node.join("bare");
    await nextEvent(room, "joined");
    await room.send("hello browser");
    await page.locator("#log li", { hasText: "node: hello browser" }).waitFor(WAIT);

    const heard = nextEvent(room, "message", (m) => m.nick === "browser");
    const ack = await page.evaluate(() =>
      (window as unknown as { room: { send(t: string): Promise<{ seq: number }> } }).room.send("hello node"),
    );
    const message = await heard;
    assert.equal(message.text, "hello node");
    assert.equal(message.seq, ack.seq);
    await page.locator("#log li", { hasText: "browser: hello node" }).waitFor(WAIT);
    await screenshot(page, "sdk-bare-page");
    await node.close();
    await context.close();
    site.closeAllConnections();
    site.close();
  });
});
