import assert from "node:assert/strict";
import { after, afterEach, before, describe, test } from "node:test";
import type { Browser, BrowserContext, Locator, Page } from "playwright-core";
import type { RunningParley } from "../../src/server.ts";
import { seriousViolations } from "../helpers/axe.ts";
import { browserSkip, launchBrowser, watchErrors } from "../helpers/browser.ts";
import { startTestParley } from "../helpers/parley.ts";

const skip = browserSkip();
const WAIT = { timeout: 20_000 };

const messageBox = (page: Page) => page.getByRole("textbox", { name: "Message" });
const say = async (page: Page, text: string): Promise<void> => {
  await messageBox(page).fill(text);
  await messageBox(page).press("Enter");
};
/** The row of the shown message whose text is exactly `text`. */
const row = (page: Page, text: string): Locator =>
  page.locator(".messages:not([hidden]) .message").filter({
    has: page.locator(".text", { hasText: new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`) }),
  });
/** Hovers the message, as a person does to see its actions, and clicks one. */
const act = async (page: Page, text: string, action: string): Promise<void> => {
  await row(page, text).hover();
  await row(page, text).getByRole("button", { name: action, exact: true }).click();
};

describe("Parley's page: edits, deletions, reactions, replies between two people", { skip }, () => {
  let parley: RunningParley;
  let base: string;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const errors: string[][] = [];

  const person = async (room: string, nick: string): Promise<Page> => {
    const context = await browser.newContext({ viewport: { width: 1200, height: 760 } });
    contexts.push(context);
    const page = await context.newPage();
    errors.push(watchErrors(page));
    await page.goto(`${base}/#${room}`);
    await page
      .getByRole("status")
      .filter({ hasText: /^Connected$/ })
      .waitFor(WAIT);
    await page.getByRole("textbox", { name: "Your nickname" }).fill(nick);
    await page.getByRole("button", { name: "Change" }).click();
    await page.locator("#members li", { hasText: `${nick} (you)` }).waitFor(WAIT);
    return page;
  };

  before(async () => {
    parley = await startTestParley();
    base = `http://127.0.0.1:${parley.port}`;
    browser = await launchBrowser();
  });
  afterEach(async () => {
    for (const context of contexts.splice(0)) await context.close();
  });
  after(async () => {
    await browser?.close();
    await parley?.close();
    assert.deepEqual(errors.flat(), [], "no script errors on any page");
  });

  test("edit in place (↑ in an empty box, Enter saves, Esc cancels), (edited) for both, delete asks first, a tombstone stays", async () => {
    const alice = await person("edits", "alice");
    const bob = await person("edits", "bob");
    await say(alice, "See you at 3pn");
    await row(bob, "See you at 3pn").waitFor(WAIT);

    // Only your own messages offer Edit and Delete.
    await row(bob, "See you at 3pn").hover();
    await row(bob, "See you at 3pn").getByRole("button", { name: "Reply", exact: true }).waitFor(WAIT);
    assert.equal(await row(bob, "See you at 3pn").getByRole("button", { name: "Edit", exact: true }).count(), 0);
    assert.equal(await row(bob, "See you at 3pn").getByRole("button", { name: "Delete", exact: true }).count(), 0);

    // Esc cancels: nothing changes.
    await messageBox(alice).focus();
    await messageBox(alice).press("ArrowUp");
    const editor = alice.getByRole("textbox", { name: /Edit your message/ });
    assert.equal(await editor.inputValue(), "See you at 3pn");
    await editor.fill("never sent");
    await editor.press("Escape");
    assert.equal(await editor.count(), 0);
    await row(alice, "See you at 3pn").waitFor(WAIT);

    // ↑ then Enter saves; both see the new text and "(edited)" with its time on hover.
    await messageBox(alice).press("ArrowUp");
    await editor.fill("See you at 3pm <img src=x onerror=\"document.title='pwned'\">");
    await editor.press("Enter");
    const fixed = "See you at 3pm <img src=x onerror=\"document.title='pwned'\">";
    await row(bob, fixed).waitFor(WAIT);
    await row(alice, fixed).waitFor(WAIT);
    const edited = row(bob, fixed).locator(".edited");
    assert.equal(await edited.textContent(), "(edited)");
    assert.match((await edited.getAttribute("title")) ?? "", /^Edited .*\d/);
    assert.equal(await bob.locator(".messages img").count(), 0, "an edit is text, never HTML");

    // Delete asks first; Cancel keeps the message.
    await act(alice, fixed, "Delete");
    await alice.getByRole("group", { name: "Delete this message?" }).waitFor(WAIT);
    await alice.getByRole("button", { name: "Cancel" }).click();
    await row(alice, fixed).waitFor(WAIT);
    await act(alice, fixed, "Delete");
    await alice.getByRole("button", { name: "Yes, delete it" }).click();
    for (const page of [alice, bob]) {
      await row(page, "message deleted").waitFor(WAIT);
      assert.equal(await row(page, fixed).count(), 0);
    }
    assert.equal(
      await row(bob, "message deleted").locator(".message-actions button").count(),
      0,
      "no actions on a tombstone",
    );
    assert.deepEqual(await seriousViolations(bob), [], "a conversation with an edit and a tombstone");
    assert.notEqual(await bob.title(), "pwned");
  });
});
