import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { BrowserContext, BrowserContextOptions, Locator, Page } from "playwright-core";
import { seriousViolations } from "../helpers/axe.ts";
import { browserSkip } from "../helpers/browser.ts";
import { pageFixture, WAIT } from "../helpers/page-fixture.ts";
import { nextEvent, sdkClient } from "../helpers/sdk.ts";

const skip = browserSkip();

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
  const fx = pageFixture();
  const person = (
    room: string,
    nick: string,
    context: BrowserContextOptions = {},
    prepare?: (context: BrowserContext) => Promise<unknown>,
  ): Promise<Page> => fx.person(room, nick, { context, prepare });

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

  test("reactions: the picker, chips with counts and who reacted, pressed when yours, a click toggles", async () => {
    const alice = await person("reacts", "alice");
    const bob = await person("reacts", "bob");
    await say(alice, "Shipped v2!");
    await act(bob, "Shipped v2!", "React");
    await bob.getByRole("group", { name: "Pick a reaction" }).getByRole("button", { name: "React with 🎉" }).click();
    const aliceChip = row(alice, "Shipped v2!").locator(".reaction", { hasText: "🎉" });
    await aliceChip.filter({ hasText: /^🎉 1$/ }).waitFor(WAIT);
    assert.equal(await aliceChip.getAttribute("title"), "bob");
    assert.equal(await aliceChip.getAttribute("aria-pressed"), "false");

    await aliceChip.click(); // alice joins in
    const bobChip = row(bob, "Shipped v2!").locator(".reaction", { hasText: "🎉" });
    await bobChip.filter({ hasText: /^🎉 2$/ }).waitFor(WAIT);
    assert.equal(await bobChip.getAttribute("title"), "bob, alice");
    assert.equal(await bobChip.getAttribute("aria-pressed"), "true");
    await aliceChip.filter({ hasText: /^🎉 2$/ }).waitFor(WAIT);
    assert.equal(await aliceChip.getAttribute("aria-pressed"), "true");

    await bobChip.click(); // bob takes his back
    await aliceChip.filter({ hasText: /^🎉 1$/ }).waitFor(WAIT);
    assert.equal(await aliceChip.getAttribute("title"), "alice");
    await bobChip.filter({ hasText: /^🎉 1$/ }).waitFor(WAIT);
    assert.equal(await bobChip.getAttribute("aria-pressed"), "false");
    assert.deepEqual(await seriousViolations(bob), [], "reaction chips");
  });

  test("reply: a 'replying to' bar with cancel, the quote above the reply, a click jumps to the message", async () => {
    const alice = await person("replies", "alice");
    const bob = await person("replies", "bob");
    await say(alice, "Lunch at noon?");
    await act(bob, "Lunch at noon?", "Reply");
    const bar = bob.locator(".reply-bar");
    assert.equal(await bar.locator("#reply-label").textContent(), "Replying to alice: Lunch at noon?");
    await bob.getByRole("button", { name: "Cancel the reply" }).click();
    await bar.waitFor({ state: "hidden", ...WAIT });
    await act(bob, "Lunch at noon?", "Reply");
    await say(bob, "Yes, noon works");
    await bar.waitFor({ state: "hidden", ...WAIT });
    for (const page of [alice, bob]) {
      const quote = row(page, "Yes, noon works").getByRole("button", { name: "In reply to alice: Lunch at noon?" });
      await quote.waitFor(WAIT);
    }
    await row(alice, "Yes, noon works")
      .getByRole("button", { name: /^In reply to/ })
      .click();
    await row(alice, "Lunch at noon?").and(alice.locator(".highlighted")).waitFor(WAIT);
    assert.deepEqual(await seriousViolations(alice), [], "a reply and its quote");
  });

  test("reply to a message older than the page loaded: its quote is fetched, the log shows no gap", async () => {
    const writer = sdkClient(`ws://127.0.0.1:${fx.parley.port}/chat`, { nick: "carol" });
    const room = writer.join("archive");
    await nextEvent(room, "joined");
    const question = await room.send("Who has the **keys** to the server room?");
    for (let i = 1; i <= 60; i++) await room.send(`filler ${i}`);
    await room.reply(question.seq, "Still nobody?");
    await writer.close();

    const dave = await person("archive", "dave");
    const quote = row(dave, "Still nobody?").getByRole("button", {
      name: "In reply to carol: Who has the **keys** to the server room?",
    });
    await quote.waitFor(WAIT);
    assert.equal(
      await row(dave, "Who has the keys to the server room?").count(),
      0,
      "the parent is not put in the log",
    );
    await dave.getByRole("button", { name: "Load older messages" }).click();
    await row(dave, "filler 1").waitFor(WAIT); // the page before continues where the log starts: no gap
    await row(dave, "Who has the keys to the server room?").waitFor(WAIT);
  });

  test("mentions: @ autocomplete from the room's members, highlighted for you, counted in the room list and title, notified when hidden", async () => {
    const alice = await person("team", "alice");
    // bob allowed notifications; the test sees what the page shows through them, and hides the tab at will.
    const bob = await person("team", "bob", { permissions: ["notifications"] }, (context) =>
      // A string, not a function: the test runner's transform would add helpers the page does not have.
      context.addInitScript(`
        const shown = [];
        window.shownNotifications = shown;
        window.tabHidden = false;
        Object.defineProperty(Document.prototype, "visibilityState", {
          get: () => (window.tabHidden ? "hidden" : "visible"),
        });
        const Real = window.Notification;
        window.Notification = class extends Real {
          constructor(title, options) {
            super(title, options);
            shown.push(title + " | " + (options?.body ?? ""));
          }
        };
      `),
    );
    await person("team", "carol");
    await alice.locator("#members li", { hasText: "carol" }).waitFor(WAIT);
    assert.equal(await alice.getByRole("button", { name: "Notify me when mentioned" }).isVisible(), true);
    assert.equal(await bob.getByRole("button", { name: "Notify me when mentioned" }).isVisible(), false);
    await bob.getByText("Mentions notify you while this tab is hidden.").waitFor(WAIT);

    // bob reads another room; alice names him, choosing his name with the keyboard.
    await bob.getByRole("textbox", { name: "Go to room" }).fill("side");
    await bob.getByRole("button", { name: "Go" }).click();
    await bob.getByRole("heading", { name: "#side" }).waitFor(WAIT);
    await messageBox(alice).fill("");
    await messageBox(alice).pressSequentially("@");
    const options = alice.getByRole("listbox", { name: "People to mention" }).getByRole("option");
    assert.deepEqual(await options.allTextContents(), ["@bob", "@carol"]);
    assert.equal(await messageBox(alice).getAttribute("aria-activedescendant"), "mention-option-0");
    await messageBox(alice).press("ArrowDown");
    assert.equal(await options.nth(1).getAttribute("aria-selected"), "true");
    await messageBox(alice).press("ArrowUp");
    await messageBox(alice).press("Tab");
    assert.equal(await messageBox(alice).inputValue(), "@bob ");
    assert.deepEqual(await seriousViolations(alice), [], "the mention list");
    await messageBox(alice).pressSequentially("can you review?");
    await messageBox(alice).press("Enter");
    await row(alice, "@bob can you review?").waitFor(WAIT);

    const teamLink = bob.locator("#room-list li", { hasText: "#team" });
    await teamLink.locator(".mention-count", { hasText: "@1" }).waitFor(WAIT);
    assert.match(await bob.title(), /^\(1 · @1\) #side · Parley$/);
    assert.deepEqual(
      await bob.evaluate(() => (window as unknown as { shownNotifications: string[] }).shownNotifications),
      [],
      "no notification while looking",
    );

    await teamLink.getByRole("link").click();
    await row(bob, "@bob can you review?").and(bob.locator(".mentions-me")).waitFor(WAIT);
    await teamLink.locator(".mention-count").waitFor({ state: "detached", ...WAIT });
    assert.equal(await bob.title(), "#team · Parley");

    // The tab hidden: a notification names who and where.
    await bob.evaluate(() => {
      (window as unknown as { tabHidden: boolean }).tabHidden = true;
      document.dispatchEvent(new Event("visibilitychange"));
    });
    await say(alice, "@bob ping");
    await bob.waitForFunction(
      () => (window as unknown as { shownNotifications: string[] }).shownNotifications.length === 1,
    );
    assert.deepEqual(
      await bob.evaluate(() => (window as unknown as { shownNotifications: string[] }).shownNotifications),
      ["alice mentioned you in #team | @bob ping"],
    );
    assert.equal(
      await row(alice, "@bob ping").and(alice.locator(".mentions-me")).count(),
      0,
      "your own mention of someone is not highlighted",
    );
  });

  test("search: results with the matching words marked (as text), choosing one opens its room back at that message", async () => {
    const writer = sdkClient(`ws://127.0.0.1:${fx.parley.port}/chat`, { nick: "erin" });
    const room = writer.join("ops");
    await nextEvent(room, "joined");
    await room.send("The deploy key is in the vault");
    await room.send("<b>vault</b> drill on Friday");
    for (let i = 1; i <= 120; i++) await room.send(`filler ${i}`);
    await writer.close();

    const alice = await person("lobby", "alice");
    const box = alice.getByRole("searchbox", { name: "Search messages" });
    await box.fill("vault");
    await box.press("Enter");
    const panel = alice.getByRole("region", { name: /for “vault”/ });
    await panel.getByRole("heading", { name: "2 results for “vault”" }).waitFor(WAIT);
    const hits = panel.getByRole("button").filter({ hasText: "#ops" });
    assert.equal(await hits.count(), 2);
    assert.deepEqual(await panel.locator("mark").allTextContents(), ["vault", "vault"]);
    assert.equal(await panel.locator("b").count(), 0, "a result's text is text, never HTML");
    await panel.locator(".hit-text", { hasText: "<b>vault</b> drill on Friday" }).waitFor(WAIT);
    assert.deepEqual(await seriousViolations(alice), [], "the search results");

    await hits.filter({ hasText: "The deploy key is in the vault" }).click();
    await alice.getByRole("heading", { name: "#ops" }).waitFor(WAIT);
    const found = row(alice, "The deploy key is in the vault");
    await found.and(alice.locator(".highlighted")).waitFor(WAIT);
    assert.ok(await found.isVisible());
    const inView = await found.evaluate((el) => {
      const box = el.getBoundingClientRect();
      const scroller = document.getElementById("scroller")?.getBoundingClientRect();
      return scroller !== undefined && box.top >= scroller.top && box.bottom <= scroller.bottom;
    });
    assert.ok(inView, "the message found is scrolled into view");
    await row(alice, "filler 120").waitFor({ state: "attached", ...WAIT }); // the history after it is there too
  });
});
