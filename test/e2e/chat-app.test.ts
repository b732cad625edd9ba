import assert from "node:assert/strict";
import { statSync } from "node:fs";
import { describe, test } from "node:test";
import type { BrowserContextOptions, Page } from "playwright-core";
import { docScreenshot, seriousViolations } from "../helpers/axe.ts";
import { browserSkip } from "../helpers/browser.ts";
import { pageFixture, WAIT } from "../helpers/page-fixture.ts";
import { nextEvent, sdkClient } from "../helpers/sdk.ts";

const skip = browserSkip();
const ADMIN_TOKEN = "e2e-admin-token-abcdefghijklmnop";
const DESK: BrowserContextOptions = { viewport: { width: 1200, height: 760 } };
const PHONE: BrowserContextOptions = { viewport: { width: 390, height: 780 }, isMobile: true, hasTouch: true };

const messageBox = (page: Page) => page.getByRole("textbox", { name: "Message" });
const texts = (page: Page) => page.locator(".messages:not([hidden]) .message .text");
const shown = (page: Page, text: string) =>
  texts(page)
    .filter({ hasText: new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`) })
    .waitFor(WAIT);
const say = async (page: Page, text: string): Promise<void> => {
  await messageBox(page).fill(text);
  await messageBox(page).press("Enter");
};

describe("Parley's page as a chat app: reading, writing, rooms, state, looks, accessibility", { skip }, () => {
  const fx = pageFixture({ parley: { adminToken: ADMIN_TOKEN } });
  const person = (room: string, nick: string, options: BrowserContextOptions = DESK): Promise<Page> =>
    fx.person(room, nick, { context: options });

  test("two people chat: grouped under one name, Markdown, full date on focus, new-messages divider, jump to latest", async () => {
    const alice = await person("design", "alice");
    const bob = await person("design", "bob");
    await say(alice, "Morning! Did the **deploy** go out?");
    await say(alice, "The log says `exit 0` — see https://example.com/build/42");
    await shown(bob, "The log says exit 0 — see https://example.com/build/42");
    await say(bob, "It did, _all green_.\nRelease notes next.");
    await messageBox(bob).fill("```\nnpm run build\nnpm test\n```");
    await messageBox(bob).press("Enter");
    await alice.locator(".messages:not([hidden]) pre code", { hasText: "npm test" }).waitFor(WAIT);

    // Grouped: alice's two lines show her name and avatar once; every line keeps its name for screen readers.
    const aliceLines = bob.locator(".messages:not([hidden]) .message[data-nick=alice]");
    assert.equal(await aliceLines.count(), 2);
    assert.equal(await aliceLines.nth(0).locator(".avatar").textContent(), "A");
    const nameWidth = (line: number) =>
      aliceLines
        .nth(line)
        .locator(".meta")
        .evaluate((el) => el.getBoundingClientRect().width);
    assert.ok((await nameWidth(0)) > 10, "the first line shows the name");
    assert.ok((await nameWidth(1)) <= 1, "the second line is grouped under it");
    assert.equal(await aliceLines.nth(1).locator(".nick").textContent(), "alice");
    assert.equal(await bob.locator(".messages:not([hidden]) .day").first().textContent(), "Today");
    // Markdown rendered as elements, never as HTML.
    assert.equal(await bob.locator(".messages:not([hidden]) strong").first().textContent(), "deploy");
    assert.equal(await bob.locator(".messages:not([hidden]) code").first().textContent(), "exit 0");
    assert.equal(await alice.locator(".messages:not([hidden]) em").first().textContent(), "all green");
    // The full date and time on keyboard focus: into the log, ↑ to the last message.
    await alice.locator("#scroller").focus();
    await alice.keyboard.press("ArrowUp");
    const focused = alice.locator(".message:focus");
    await focused.locator(".full-time").waitFor({ state: "visible", ...WAIT });
    assert.match((await focused.locator(".full-time").textContent()) ?? "", /\d{4}/, "the year is shown");

    // Bob goes to another room; alice writes; back in #design bob finds a divider above what is new.
    await bob.goto(`${fx.base}/#design-elsewhere`);
    await bob.getByRole("link", { name: "#design", exact: true }).waitFor(WAIT);
    await say(alice, "Are you around?");
    await say(alice, "Retro at 3.");
    await bob.locator("#room-list li", { hasText: "#design" }).filter({ hasText: "2 new" }).waitFor(WAIT);
    assert.match(await bob.title(), /^\(2\) #design-elsewhere/, "the tab title counts unread messages");
    await bob.getByRole("link", { name: "#design", exact: true }).click();
    await bob.locator(".messages:not([hidden]) .new-divider + .message", { hasText: "Are you around?" }).waitFor(WAIT);
    assert.equal(await bob.title(), "#design · Parley");
    await docScreenshot(bob, "desktop-light");

    // Scrolled up while messages arrive: a button counts them and takes you back.
    const writer = sdkClient(`ws://127.0.0.1:${fx.parley.port}/chat`, { nick: "carol" });
    const room = writer.join("design");
    await nextEvent(room, "joined");
    for (let i = 1; i <= 30; i++) await room.send(`filler ${i} ${"lorem ipsum dolor ".repeat(i % 5)}`.trim());
    await shown(alice, "filler 30");
    await alice.locator("#scroller").evaluate((el) => {
      el.scrollTop = 0;
    });
    await room.send("one more");
    await room.send("and another");
    await writer.close();
    const jump = alice.getByRole("button", { name: "↓ 2 new messages" });
    await jump.waitFor(WAIT);
    await jump.click();
    await jump.waitFor({ state: "hidden", ...WAIT });
    const distance = await alice
      .locator("#scroller")
      .evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight);
    assert.ok(distance < 5, `back at the latest (${distance}px from the bottom)`);
  });

  test("writing: Shift+Enter is a new line, the box grows, the draft and the rooms survive a reload, leaving a room", async () => {
    const dora = await person("writing", "dora");
    const box = messageBox(dora);
    const oneLine = await box.evaluate((el) => el.clientHeight);
    await box.click();
    await dora.keyboard.type("first line");
    await dora.keyboard.press("Shift+Enter");
    await dora.keyboard.type("second line");
    await dora.keyboard.press("Shift+Enter");
    await dora.keyboard.type("third line");
    assert.ok((await box.evaluate((el) => el.clientHeight)) > oneLine, "the box grew with its lines");
    assert.equal(await texts(dora).count(), 0, "Shift+Enter did not send");
    await dora.goto(`${fx.base}/#writing-two`);
    await dora.getByRole("link", { name: "#writing-two" }).waitFor(WAIT);
    await box.fill("a draft for two");
    await dora.reload();
    await dora
      .getByRole("status")
      .filter({ hasText: /^Connected$/ })
      .waitFor(WAIT);
    assert.equal(await box.inputValue(), "a draft for two", "the draft is back after a reload");
    // The list shows rooms as they are joined again: "Connected" can come before the second join.
    await dora.locator("#room-list a").nth(1).waitFor(WAIT);
    assert.deepEqual(await dora.locator("#room-list a").allTextContents(), ["#writing", "#writing-two"]);
    await dora.getByRole("link", { name: "#writing", exact: true }).click();
    // The link changes the URL's hash; the room switches on its hashchange, after the click returns.
    await dora.locator('#room-list a[aria-current="page"]', { hasText: /^#writing$/ }).waitFor(WAIT);
    assert.equal(await box.inputValue(), "first line\nsecond line\nthird line", "each room keeps its own draft");
    await box.press("Enter");
    await dora
      .locator(".messages:not([hidden]) .message .text br")
      .first()
      .waitFor({ state: "attached", ...WAIT });
    assert.equal(await box.inputValue(), "");

    await dora.getByRole("button", { name: "Leave #writing", exact: true }).click();
    await dora.locator("#room-title", { hasText: "#writing-two" }).waitFor(WAIT);
    assert.deepEqual(await dora.locator("#room-list a").allTextContents(), ["#writing-two"]);
    await dora.reload();
    await dora
      .getByRole("status")
      .filter({ hasText: /^Connected$/ })
      .waitFor(WAIT);
    assert.deepEqual(await dora.locator("#room-list a").allTextContents(), ["#writing-two"], "a left room stays left");
  });

  test("banners go when they no longer apply; shortcuts move between rooms and are listed in a dialog", async () => {
    const erin = await person("state-a", "erin");
    await person("state-a", "frank");
    await erin.getByRole("textbox", { name: "Your nickname" }).fill("frank");
    await erin.getByRole("button", { name: "Change" }).click();
    await erin.getByRole("alert").filter({ hasText: "Nickname not changed" }).waitFor(WAIT);
    await erin.goto(`${fx.base}/#state-b`);
    await erin.locator("#room-title", { hasText: "#state-b" }).waitFor(WAIT);
    assert.equal(await erin.getByRole("alert").isVisible(), false, "the refusal does not follow to another room");

    await erin.keyboard.press("Alt+ArrowUp");
    await erin.locator("#room-title", { hasText: "#state-a" }).waitFor(WAIT);
    await erin.keyboard.press("Alt+ArrowDown");
    await erin.locator("#room-title", { hasText: "#state-b" }).waitFor(WAIT);
    await erin.locator("body").press("?");
    const help = erin.getByRole("dialog", { name: "Keyboard shortcuts" });
    await help.waitFor(WAIT);
    assert.deepEqual(await seriousViolations(erin), [], "the help dialog");
    await erin.keyboard.press("Escape");
    await help.waitFor({ state: "hidden", ...WAIT });
  });

  test("Markdown and link tricks stay inert: javascript: URLs, nested brackets, HTML, very long lines", async () => {
    const gus = await person("tricks", "gus");
    const evil = sdkClient(`ws://127.0.0.1:${fx.parley.port}/chat`, { nick: "mallory" });
    const room = evil.join("tricks");
    await nextEvent(room, "joined");
    const payloads = [
      "[click me](javascript:window.__xss=1)",
      "[[nested](javascript:alert(1))](https://example.com/ok)",
      "[x](JaVaScRiPt&#58;alert(1)) and [y](data:text/html,<script>window.__xss=2</script>)",
      '<a href="javascript:window.__xss=3">html link</a> <img src=x onerror=window.__xss=4>',
      "![image](https://example.com/x.png) and <https://example.com/auto>",
      `long ${"w".repeat(5000)} ${"https://example.com/".repeat(3)}`,
    ];
    for (const text of payloads) await room.send(text);
    await evil.close();
    await texts(gus)
      .filter({ hasText: /^long / })
      .waitFor(WAIT);
    const hrefs = await gus.locator(".messages a").evaluateAll((els) => els.map((a) => a.getAttribute("href")));
    for (const href of hrefs) assert.match(href ?? "", /^https:\/\/example\.com\//, `only https links: ${href}`);
    assert.ok(hrefs.includes("https://example.com/auto"));
    assert.equal(await gus.locator(".messages img, .messages script, .messages iframe").count(), 0);
    assert.equal(await gus.evaluate(() => (window as { __xss?: number }).__xss), undefined);
    assert.match((await texts(gus).nth(0).textContent()) ?? "", /javascript:window.__xss=1/, "shown as text");
    const overflow = await gus.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `a very long line wraps (overflow ${overflow}px)`);
    await gus.locator("#scroller").evaluate((el) => {
      el.scrollTop = el.scrollHeight;
    });
  });

  test("every view in light and dark, desk and phone: no serious axe-core violation; screenshots", async () => {
    const docImage = "docs/screenshots/desktop-dark.png";
    const before = statSync(docImage).mtimeMs;
    const hana = await person("lobby", "hana");
    const ivan = await person("lobby", "ivan");
    await say(ivan, "Hi all — is the **staging** box up?");
    await say(hana, "Yes, since 9:40. `ssh staging` works for me.");
    await say(hana, "Ping me if the tests are slow!");
    await shown(ivan, "Ping me if the tests are slow!");
    assert.deepEqual(await seriousViolations(hana), [], "lobby, light");
    await hana.emulateMedia({ colorScheme: "dark" });
    assert.deepEqual(await seriousViolations(hana), [], "lobby, dark");
    const taken = await docScreenshot(hana, "desktop-dark");
    assert.ok(statSync(taken).size > 1000, "the screenshot is taken");
    if (process.env.PARLEY_UPDATE_SCREENSHOTS !== "1") {
      assert.equal(statSync(docImage).mtimeMs, before, "a test run leaves the repository's screenshots as they are");
    }
    // The toggle overrides the system's choice, and is remembered.
    await hana.getByRole("button", { name: /^Colour theme/ }).click();
    assert.equal(await hana.evaluate(() => document.documentElement.dataset.theme), "dark");
    await hana.getByRole("button", { name: /^Colour theme/ }).click();
    assert.equal(await hana.evaluate(() => document.documentElement.dataset.theme), "light");
    assert.deepEqual(await seriousViolations(hana), [], "light chosen on a dark system");

    const phone = await person("lobby", "juno", PHONE);
    await shown(phone, "Ping me if the tests are slow!");
    const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `no sideways scrolling on a phone (${overflow}px)`);
    assert.equal(await phone.getByRole("navigation", { name: "Rooms" }).isVisible(), false, "conversation first");
    assert.deepEqual(await seriousViolations(phone), [], "phone, light");
    await docScreenshot(phone, "phone-light");
    await phone.getByRole("button", { name: "Rooms" }).click();
    await phone.getByRole("textbox", { name: "Go to room" }).waitFor(WAIT);
    assert.deepEqual(await seriousViolations(phone), [], "phone, rooms open");
    await docScreenshot(phone, "phone-rooms");
    await phone.keyboard.press("Escape");
    await phone.emulateMedia({ colorScheme: "dark" });
    assert.deepEqual(await seriousViolations(phone), [], "phone, dark");
    await docScreenshot(phone, "phone-dark");

    const admin = await (await fx.context(DESK)).newPage();
    await admin.goto(`${fx.base}/admin`);
    assert.deepEqual(await seriousViolations(admin), [], "admin sign-in");
    await admin.fill("#token", ADMIN_TOKEN);
    await admin.click("#login button");
    await admin.locator("#rooms tbody tr", { hasText: "lobby" }).locator("button").click();
    await admin.locator("#messages tbody tr").first().waitFor(WAIT);
    assert.deepEqual(await seriousViolations(admin), [], "admin, a room open");
    await docScreenshot(admin, "admin-light");
    await admin.emulateMedia({ colorScheme: "dark" });
    assert.deepEqual(await seriousViolations(admin), [], "admin, dark");
    await docScreenshot(admin, "admin-dark");
  });
});
