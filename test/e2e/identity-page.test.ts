import assert from "node:assert/strict";
import { after, afterEach, before, describe, test } from "node:test";
import type { ParleyClient } from "parley-client";
import type { Browser, BrowserContext, Page } from "playwright-core";
import type { RunningParley } from "../../src/server.ts";
import { startAuthBackend, stopAuthBackend } from "../helpers/auth-backend.ts";
import { browserSkip, launchBrowser, screenshot, watchErrors } from "../helpers/browser.ts";
import type { Child } from "../helpers/lines.ts";
import { startTestParley } from "../helpers/parley.ts";
import { nextEvent, sdkClient } from "../helpers/sdk.ts";
import { hsToken, newSecret } from "../helpers/tokens.ts";

const skip = browserSkip();
const WAIT = { timeout: 20_000 };

const messageBox = (page: Page) => page.getByRole("textbox", { name: "Message" });
const members = (page: Page) => page.locator("#members li").allTextContents();
const notices = (page: Page, text: string) => page.locator(".messages:not([hidden]) .notice").filter({ hasText: text });
const roomLink = (page: Page, room: string) =>
  page
    .getByRole("navigation", { name: "Rooms" })
    .getByRole("listitem")
    .filter({ hasText: `#${room}` });

const say = async (page: Page, text: string): Promise<void> => {
  await messageBox(page).fill(text);
  await messageBox(page).press("Enter");
};

/** Waits until `page` shows the message `text` in the room on screen. */
const shows = (page: Page, text: string) =>
  page.locator(".messages:not([hidden]) .message .text").filter({ hasText: text }).first().waitFor(WAIT);

describe("signing in on the page, in headless Chromium", { skip }, () => {
  const secret = newSecret();
  let parley: RunningParley;
  let backend: { child: Child; base: string };
  let base: string;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const clients: ParleyClient[] = [];
  const errors: string[][] = [];

  /** A person with their own browser (cookies, storage), signed in to the example app backend as `name`. */
  const person = async (name: string): Promise<BrowserContext> => {
    const context = await browser.newContext({ viewport: { width: 1100, height: 640 } });
    contexts.push(context);
    const login = await context.request.get(`${backend.base}/login?name=${encodeURIComponent(name)}`);
    assert.equal(login.status(), 200);
    return context;
  };

  /** A tab of `context` on `/#room`, once it is connected and signed in as `name`. */
  const tab = async (context: BrowserContext, room: string, name: string, hash = ""): Promise<Page> => {
    const page = await context.newPage();
    errors.push(watchErrors(page));
    await page.goto(`${base}/#${room}${hash}`);
    await page.getByText(`Signed in as ${name}`).waitFor(WAIT);
    await page
      .getByRole("status")
      .filter({ hasText: /^Connected$/ })
      .waitFor(WAIT);
    return page;
  };

  /** A signed-in SDK client; the same person as a page signed in through the backend when `sub` is `demo:<name>`. */
  const sdkUser = (sub: string, name: string) => {
    const client = sdkClient(`ws://127.0.0.1:${parley.port}/chat`, {
      getToken: () => hsToken(secret, { sub, name }),
    });
    clients.push(client);
    return client;
  };

  before(async () => {
    // Each must know the other's address (Parley: the token URL; the backend: Parley's origin for CORS):
    // find the backend a free port first, then start Parley, then the backend again on that port.
    backend = await startAuthBackend({ PARLEY_AUTH_SECRET: secret, PARLEY_ORIGIN: "http://127.0.0.1:1" });
    await stopAuthBackend(backend.child);
    parley = await startTestParley({ authSecret: secret, authTokenUrl: `${backend.base}/token` });
    base = `http://127.0.0.1:${parley.port}`;
    backend = await startAuthBackend({
      PARLEY_AUTH_SECRET: secret,
      PARLEY_ORIGIN: base,
      PORT: new URL(backend.base).port,
    });
    browser = await launchBrowser();
  });
  afterEach(async () => {
    for (const context of contexts.splice(0)) await context.close();
    for (const client of clients.splice(0)) await client.close();
  });
  after(async () => {
    await browser?.close();
    await stopAuthBackend(backend.child);
    await parley?.close();
    assert.deepEqual(errors.flat(), [], "no script errors on any page");
  });

  test("signed in through the app backend: the name is the token's, no nickname form", async () => {
    const alice = await tab(await person("alice"), "id-hello", "alice");
    assert.equal(await alice.getByRole("textbox", { name: "Your nickname" }).isVisible(), false);
    const bob = sdkUser("demo:bob", "bob");
    const room = bob.join("id-hello");
    await nextEvent(room, "joined");
    const heard = nextEvent(room, "message", (m) => m.text === "hi from the page");
    await say(alice, "hi from the page");
    assert.equal((await heard).nick, "alice");
    await screenshot(alice, "identity-signed-in");
  });

  test("one person in three tabs is one member: joined once, left only when the last tab closes", async () => {
    const bob = await tab(await person("bob"), "id-three", "bob");
    const aliceBrowser = await person("alice");
    const tabs = [];
    for (let i = 0; i < 3; i++) tabs.push(await tab(aliceBrowser, "id-three", "alice"));
    await notices(bob, "alice joined").first().waitFor(WAIT);
    // A message sent after the third tab joined is a barrier: any second "joined" would be shown before it.
    await say(tabs[2] as Page, "three tabs open");
    await shows(bob, "three tabs open");
    assert.equal(await notices(bob, "alice joined").count(), 1, "one join for three tabs");
    assert.deepEqual((await members(bob)).sort(), ["alice", "bob (you)"]);

    await tabs[0]?.close();
    await tabs[1]?.close();
    await say(tabs[2] as Page, "one tab left");
    await shows(bob, "one tab left");
    assert.equal(await notices(bob, "alice left").count(), 0, "still here while a tab is open");
    assert.deepEqual((await members(bob)).sort(), ["alice", "bob (you)"]);
    await tabs[2]?.close();
    await notices(bob, "alice left").first().waitFor(WAIT);
    assert.deepEqual(await members(bob), ["bob (you)"]);
  });

  test("a second user sees “alice is typing…” while alice types, and two typers by name", async () => {
    const bob = await tab(await person("bob"), "id-typing", "bob");
    const alice = await tab(await person("alice"), "id-typing", "alice");
    const typing = bob.locator("#typing");
    await messageBox(alice).pressSequentially("hello th", { delay: 40 });
    await typing.filter({ hasText: /^alice is typing…$/ }).waitFor(WAIT);
    const carol = sdkUser("u-carol", "carol");
    const room = carol.join("id-typing");
    await nextEvent(room, "joined");
    assert.equal(carol.typing("id-typing"), true);
    await typing.filter({ hasText: /^(alice and carol|carol and alice) are typing…$/ }).waitFor(WAIT);
    await screenshot(bob, "identity-typing");
    await messageBox(alice).pressSequentially("ere", { delay: 40 });
    await messageBox(alice).press("Enter");
    await shows(bob, "hello there");
    assert.equal(await typing.textContent(), "carol is typing…", "alice's message ends her typing notice");
    await typing.filter({ hasText: /^$/ }).waitFor(WAIT); // and carol's fades after a few seconds
    assert.equal(await alice.locator("#typing").textContent(), "", "and for alice too: notices fade");
  });

  test("unread counts in the room list, cleared on opening the room, on every device of the user", async () => {
    const alice = await tab(await person("alice"), "id-news", "alice");
    await alice.goto(`${base}/#id-lobby`);
    await roomLink(alice, "id-news").waitFor(WAIT);
    const bob = sdkUser("demo:bob", "bob");
    const news = bob.join("id-news");
    await nextEvent(news, "joined");
    for (const text of ["n1", "n2", "n3"]) await news.send(text);
    await roomLink(alice, "id-news").filter({ hasText: "3 new" }).waitFor(WAIT);
    await screenshot(alice, "identity-unread");

    // Alice's phone: the same user (sub) through the SDK, with the same count.
    const aliceSdk = sdkClient(`ws://127.0.0.1:${parley.port}/chat`, {
      getToken: () => hsToken(secret, { sub: "demo:alice", name: "alice" }),
    });
    clients.push(aliceSdk);
    const phoneNews = aliceSdk.join("id-news");
    await nextEvent(phoneNews, "joined");
    assert.equal(aliceSdk.unread("id-news"), 3);

    const cleared = nextEvent(aliceSdk, "unread", (u) => u.room === "id-news" && u.count === 0);
    await roomLink(alice, "id-news").getByRole("link").click();
    await shows(alice, "n3");
    await roomLink(alice, "id-news")
      .filter({ hasNotText: /\d+ new/ })
      .waitFor(WAIT);
    await cleared;

    await news.send("n4"); // seen at once on the open room: stays read
    await shows(alice, "n4");
    await nextEvent(aliceSdk, "unread", (u) => u.room === "id-news" && u.count === 0);
  });

  test("rooms joined on one device come back on another; a room left there is not brought back", async () => {
    const laptop = await tab(await person("erin"), "id-home", "erin");
    await laptop.goto(`${base}/#id-design`);
    await roomLink(laptop, "id-design").waitFor(WAIT);
    await laptop.goto(`${base}/#id-ops`);
    await roomLink(laptop, "id-ops").waitFor(WAIT);
    await laptop.getByRole("button", { name: "Leave #id-ops" }).click();
    await roomLink(laptop, "id-ops").waitFor({ state: "detached", ...WAIT });

    // Another browser (its own storage), signed in as the same user: the rooms are there, joined, without typing them.
    const phone = await tab(await person("erin"), "id-home", "erin");
    await roomLink(phone, "id-design").waitFor(WAIT);
    assert.equal(await roomLink(phone, "id-ops").count(), 0, "the room left on the laptop");
    const other = sdkUser("demo:fay", "fay");
    const design = other.join("id-design");
    await nextEvent(design, "joined");
    await design.send("for whoever is in #id-design");
    await roomLink(phone, "id-design").filter({ hasText: "1 new" }).waitFor(WAIT);
    await roomLink(phone, "id-design").getByRole("link").click();
    await shows(phone, "for whoever is in #id-design");
    assert.ok((await members(phone)).includes("erin (you)"), "joined, not only listed");
  });

  test("pictures from tokens: shown as avatars to others (no referrer), initials when a picture fails to load", async () => {
    const red =
      "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==";
    const pictured = async (sub: string, name: string, picture: string) => {
      const context = await browser.newContext();
      contexts.push(context);
      return tab(context, "id-faces", name, `&token=${await hsToken(secret, { sub, name, picture })}`);
    };
    const gia = await pictured("u-gia", "gia", red);
    const hal = await pictured("u-hal", "hal", "https://127.0.0.1:1/missing.png");
    await say(gia, "my picture");
    await say(hal, "mine does not load");
    await shows(gia, "mine does not load");
    const avatarOf = (page: Page, nick: string) =>
      page.locator(`.messages:not([hidden]) .message[data-nick="${nick}"] .avatar`).first();
    // hal joined after gia: gia's page learns hal's picture from the join; hal's from the room's snapshot.
    const giaOnHal = avatarOf(hal, "gia").locator("img");
    await giaOnHal.waitFor(WAIT);
    assert.equal(await giaOnHal.getAttribute("referrerpolicy"), "no-referrer");
    assert.equal(await giaOnHal.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth), 1);
    await avatarOf(gia, "hal")
      .locator("img")
      .waitFor({ state: "detached", ...WAIT });
    assert.equal(await avatarOf(gia, "hal").textContent(), "H", "initials when the picture fails");
    for (const page of [gia, hal]) await page.close(); // no more loads: the failed ones were the point
    const failedLoad = (e: string): boolean => e === "console: Failed to load resource: net::ERR_UNSAFE_PORT";
    for (const list of errors) {
      assert.ok(list.filter(failedLoad).length <= 3);
      list.splice(0, list.length, ...list.filter((e) => !failedLoad(e)));
    }
  });

  test("a token in the address (#token=…) signs in without any backend, and leaves the address", async () => {
    const token = await hsToken(secret, { sub: "u-dora", name: "dora" });
    const context = await browser.newContext();
    contexts.push(context);
    const dora = await tab(context, "id-fragment", "dora", `&token=${token}`);
    assert.equal(new URL(dora.url()).hash, "#id-fragment", "the token is taken out of the address bar");
    await say(dora, "signed in by link");
    await shows(dora, "signed in by link");
    await dora.reload();
    await dora.getByText("Signed in as dora").waitFor(WAIT); // kept for this tab
  });
});
