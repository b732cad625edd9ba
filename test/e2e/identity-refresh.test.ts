// test-runner: alone (a 3-second token is refreshed in its last 300 ms: on a loaded machine the page is late)
// Split from identity-page.test.ts for that reason: the rest of the sign-in tests run beside other files.
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import type { Browser, Page } from "playwright-core";
import type { RunningParley } from "../../src/server.ts";
import { browserSkip, launchBrowser, watchErrors } from "../helpers/browser.ts";
import { startTestParley } from "../helpers/parley.ts";
import { hsToken, newSecret } from "../helpers/tokens.ts";

const skip = browserSkip();
const WAIT = { timeout: 20_000 };

const messageBox = (page: Page) => page.getByRole("textbox", { name: "Message" });
const say = async (page: Page, text: string): Promise<void> => {
  await messageBox(page).fill(text);
  await messageBox(page).press("Enter");
};

/** Waits until `page` shows the message `text` in the room on screen. */
const shows = (page: Page, text: string) =>
  page.locator(".messages:not([hidden]) .message .text").filter({ hasText: text }).first().waitFor(WAIT);

describe("the page with short-lived tokens and --auth required, in headless Chromium", { skip }, () => {
  const secret = newSecret();
  let parley: RunningParley;
  let tokens: Server;
  let base: string;
  let browser: Browser;
  let minted = 0;
  const errors: string[] = [];

  before(async () => {
    // A token endpoint minting 3-second tokens for whoever has the cookie `who=…`, as an app backend would.
    tokens = createServer((req, res) => {
      const who = /(?:^|;\s*)who=(\w+)/.exec(req.headers.cookie ?? "")?.[1];
      res.setHeader("Access-Control-Allow-Origin", base);
      res.setHeader("Access-Control-Allow-Credentials", "true");
      if (!who) return void res.writeHead(401).end();
      minted++;
      void hsToken(secret, { sub: `u-${who}`, name: who }, 3).then((token) => res.end(token)); // text/plain: the bare token
    });
    await new Promise<void>((resolve) => tokens.listen(0, "127.0.0.1", resolve));
    const tokenUrl = `http://127.0.0.1:${(tokens.address() as AddressInfo).port}/token`;
    parley = await startTestParley({
      authSecret: secret,
      auth: "required",
      authClockTolerance: 0,
      authTokenUrl: tokenUrl,
    });
    base = `http://127.0.0.1:${parley.port}`;
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await parley?.close();
    tokens?.close();
    assert.deepEqual(errors, [], "no script errors on any page");
  });

  test("the page refreshes its token from the token URL and stays on one connection past exp", async () => {
    const context = await browser.newContext();
    await context.addCookies([{ name: "who", value: "gus", url: "http://127.0.0.1/" }]);
    const page = await context.newPage();
    errors.push(...watchErrors(page));
    const states: string[] = [];
    await page.exposeFunction("recordState", (text: string) => states.push(text));
    await page.goto(`${base}/#id-short`);
    await page.getByText("Signed in as gus").waitFor(WAIT);
    await page
      .getByRole("status")
      .filter({ hasText: /^Connected$/ })
      .waitFor(WAIT);
    const before = minted;
    // Watch the status line: any reconnect would show as "Offline…" or "Connecting…" in it.
    await page.evaluate(() => {
      const status = document.getElementById("status");
      if (!status) return;
      new MutationObserver(() =>
        (window as unknown as { recordState(t: string): void }).recordState(status.textContent ?? ""),
      ).observe(status, { childList: true, characterData: true, subtree: true });
    });
    await page.waitForTimeout(5000); // past the first token's exp, and the second's
    assert.ok(minted - before >= 1, `refreshed from the token URL (${minted - before} more tokens)`);
    assert.deepEqual(states, [], "never left Connected");
    await say(page, "after exp");
    await shows(page, "after exp");
    await context.close();
  });

  test("nobody signed in to the app, on a Parley that requires it: the page says so", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    errors.push(...watchErrors(page));
    await page.goto(`${base}/#id-short`);
    await page.getByRole("alert").filter({ hasText: "this chat is for signed-in users" }).waitFor(WAIT);
    await context.close();
  });

  test("an expired sign-in link is dropped and said so", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    errors.push(...watchErrors(page));
    const expired = await hsToken(secret, { sub: "u-old", name: "old" }, -60);
    await page.goto(`${base}/#id-short&token=${expired}`);
    await page
      .getByRole("alert")
      .filter({
        hasText:
          /^Your sign-in link has expired\. Not signed in: this chat is for signed-in users; sign in, then reload\.$/,
      })
      .waitFor(WAIT);
    assert.equal(new URL(page.url()).hash, "#id-short");
    await context.close();
  });
});
