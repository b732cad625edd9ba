import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, test } from "node:test";
import type { Page } from "playwright-core";
import { browserSkip, screenshot } from "../helpers/browser.ts";
import { COOKBOOK_PAGE, chapterText, extractCookbookPage } from "../helpers/cookbook-page.ts";
import { pageFixture, WAIT } from "../helpers/page-fixture.ts";
import { startTestParley, tempDir } from "../helpers/parley.ts";
import { nextEvent, sdkClient } from "../helpers/sdk.ts";

const skip = browserSkip();

/** The texts of the messages shown in the room on screen, in order. */
const shownTexts = (page: Page): Promise<string[]> =>
  page.locator(".messages:not([hidden]) .message .text").allTextContents();

const shown = (page: Page, text: string) =>
  page.locator(".messages:not([hidden]) .message .text").filter({ hasText: new RegExp(`^${escapeRegExp(text)}$`) });

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

const messageBox = (page: Page) => page.getByRole("textbox", { name: "Message" });

const say = async (page: Page, text: string): Promise<void> => {
  await messageBox(page).fill(text);
  await messageBox(page).press("Enter");
};

const connected = (page: Page) =>
  page
    .getByRole("status")
    .filter({ hasText: /^Connected$/ })
    .waitFor(WAIT);

describe("the browser page, in headless Chromium", { skip }, () => {
  const dataDir = tempDir();
  const fx = pageFixture({ parley: { dataDir }, viewport: { width: 1100, height: 640 } });
  /** A new person: their own browser context (own localStorage), on `/#room`. */
  const person = (room: string, nick?: string): Promise<Page> => fx.person(room, nick);

  test("two pages chat both ways; nick, time, who is online, room by URL and switching", async () => {
    const alice = await person("e2e-chat", "alice");
    const bob = await person("e2e-chat", "bob");
    assert.equal(await alice.locator("#room-title").textContent(), "#e2e-chat");
    await say(alice, "hi bob");
    await shown(bob, "hi bob").waitFor(WAIT);
    await say(bob, "hi alice");
    await shown(alice, "hi alice").waitFor(WAIT);
    for (const page of [alice, bob]) assert.deepEqual(await shownTexts(page), ["hi bob", "hi alice"]);
    const line = bob.locator(".message", { has: bob.locator(".text", { hasText: "hi bob" }) });
    assert.equal(await line.locator(".nick").textContent(), "alice");
    assert.match((await line.locator("time").getAttribute("datetime")) ?? "", /^\d{4}-\d\d-\d\dT/);
    await alice.locator(".notice").getByText("is now known as bob").waitFor(WAIT); // bob arrived as user-N, then renamed
    const online = await alice.locator("#members li").allTextContents();
    assert.deepEqual(online.sort(), ["alice (you)", "bob"]);

    // Switch rooms with the form, then back with the room list; the URL follows.
    await alice.getByRole("textbox", { name: "Go to room" }).fill("e2e-other");
    await alice.getByRole("textbox", { name: "Go to room" }).press("Enter");
    await alice.locator("#room-title", { hasText: "#e2e-other" }).waitFor(WAIT);
    assert.equal(new URL(alice.url()).hash, "#e2e-other");
    await say(alice, "only in other");
    await shown(alice, "only in other").waitFor(WAIT);
    await alice.getByRole("link", { name: "#e2e-chat" }).click();
    await alice.locator("#room-title", { hasText: "#e2e-chat" }).waitFor(WAIT);
    assert.deepEqual(await shownTexts(alice), ["hi bob", "hi alice"]);
    assert.deepEqual(await shownTexts(bob), ["hi bob", "hi alice"], "bob is not in e2e-other");
    await screenshot(alice, "page-two-pages");
  });

  test("a third page joins and sees the history; reloading shows it again, once", async () => {
    const carol = await person("e2e-chat");
    await shown(carol, "hi alice").waitFor(WAIT);
    assert.deepEqual(await shownTexts(carol), ["hi bob", "hi alice"]);
    await carol.reload();
    await connected(carol);
    await shown(carol, "hi alice").waitFor(WAIT);
    assert.deepEqual(await shownTexts(carol), ["hi bob", "hi alice"]);
    await screenshot(carol, "page-history");
  });

  test("server restarted: each page shows pending input, then every message sent meanwhile, once, in order", async () => {
    const dana = await person("e2e-restart", "dana");
    const erin = await person("e2e-restart", "erin");
    const joins: string[] = [];
    dana.on("websocket", (ws) =>
      ws.on("framesent", ({ payload }) => {
        if (typeof payload === "string" && payload.includes('"join"')) joins.push(payload);
      }),
    );
    await say(dana, "before 1");
    await say(erin, "before 2");
    await shown(dana, "before 2").waitFor(WAIT);
    await shown(erin, "before 1").waitFor(WAIT);

    const { port, wsPort } = fx.parley;
    await fx.parley.close();
    await dana
      .getByRole("status")
      .filter({ hasText: /^(Offline|Connecting)/ })
      .waitFor(WAIT);
    await erin
      .getByRole("status")
      .filter({ hasText: /^(Offline|Connecting)/ })
      .waitFor(WAIT);
    await say(erin, "while down 1");
    await say(erin, "while down 2");
    await say(dana, "dana while down");
    await erin.locator(".pending", { hasText: "while down 2" }).getByText("waiting for the connection").waitFor(WAIT);
    await screenshot(erin, "page-offline-pending");

    fx.parley = await startTestParley({ dataDir, port, wsPort });
    const node = sdkClient(`ws://127.0.0.1:${port}/chat`, { nick: "node" });
    const nodeRoom = node.join("e2e-restart");
    await nextEvent(nodeRoom, "joined");
    await nodeRoom.send("server is back");
    await node.close();

    const expected = ["before 1", "before 2", "while down 1", "while down 2", "dana while down", "server is back"];
    for (const page of [dana, erin]) {
      for (const text of expected) await shown(page, text).waitFor(WAIT);
      await page
        .locator(".pending-list:not([hidden]) li")
        .first()
        .waitFor({ state: "detached", ...WAIT });
      const texts = await shownTexts(page);
      assert.deepEqual([...texts].sort(), [...expected].sort(), "every message exactly once");
      assert.ok(texts.indexOf("while down 1") < texts.indexOf("while down 2"));
      const seqs = (await page
        .locator(".messages:not([hidden]) .message")
        .evaluateAll((els) => els.map((el) => Number((el as HTMLElement).dataset.seq)))) as number[];
      assert.deepEqual(seqs, [1, 2, 3, 4, 5, 6], "no gap, no duplicate, in seq order");
    }
    const rejoin = joins.map((j) => JSON.parse(j) as { room: string; since?: number }).at(-1);
    assert.deepEqual(rejoin, { type: "join", room: "e2e-restart", since: 2 }, "resumed from the last seq seen");
    await screenshot(dana, "page-after-restart");
  });

  test("message text is never HTML; http(s) links are safe links", async () => {
    const frank = await person("e2e-xss", "frank");
    const csp = (await frank.request.get(`${fx.base}/`)).headers()["content-security-policy"] ?? "";
    assert.match(csp, /script-src 'self'/);
    const evil = sdkClient(`ws://127.0.0.1:${fx.parley.port}/chat`, { nick: "mallory" });
    const room = evil.join("e2e-xss");
    await nextEvent(room, "joined");
    const payloads = [
      `<img src=x onerror="window.__xss=1">`,
      `<script>window.__xss=2</script>`,
      "see https://example.com/a?b=1, or javascript:alert(1)",
    ];
    for (const text of payloads) await room.send(text);
    await evil.close();
    for (const text of payloads) await shown(frank, text).waitFor(WAIT);
    assert.equal(await frank.evaluate(() => (window as { __xss?: number }).__xss), undefined);
    assert.equal(await frank.locator(".messages img, .messages script").count(), 0);
    const links = frank.locator(".messages a");
    assert.equal(await links.count(), 1, "only the https URL is a link");
    assert.equal(await links.getAttribute("href"), "https://example.com/a?b=1");
    assert.equal(await links.getAttribute("rel"), "noopener noreferrer");
    await screenshot(frank, "page-xss-inert");
  });

  test("the Cookbook's own page (verbatim from the chapter) chats with Parley's page", async () => {
    let html = readFileSync(COOKBOOK_PAGE, "utf8");
    const chapter = chapterText();
    if (chapter) assert.equal(html, extractCookbookPage(chapter), "fixture is the chapter's listing, verbatim");
    // The only change: the listing's port 12345 becomes this test's ephemeral Cookbook port.
    assert.ok(html.includes('new WebSocket("ws://localhost:12345/")'));
    html = html.replace("ws://localhost:12345/", `ws://localhost:${fx.parley.wsPort}/`);
    const site: Server = createServer((_req, res) => {
      res.writeHead(200, { "Content-Type": "text/html" });
      res.end(html);
    });
    await new Promise<void>((resolve) => site.listen(0, "127.0.0.1", resolve));
    try {
      const gina = await person("lobby", "gina");
      const lisp = await fx.page(await fx.context({ viewport: { width: 1280, height: 720 } }));
      await lisp.goto(`http://127.0.0.1:${(site.address() as AddressInfo).port}/`);
      const joined = await gina
        .locator(".notice")
        .getByText(/^user-\d+ joined$/)
        .textContent(WAIT);
      const lispNick = (joined ?? "").replace(/ joined$/, "");
      await lisp.locator("#chat-input").fill("hello from the cookbook");
      await lisp.locator("#chat-input").press("Enter");
      const line = gina.locator(".message", { has: gina.locator(".text", { hasText: "hello from the cookbook" }) });
      await line.waitFor(WAIT);
      assert.equal(await line.locator(".nick").textContent(), lispNick);
      await say(gina, "hello from parley");
      await lisp.locator("#chat-echo-area li", { hasText: "gina: hello from parley" }).waitFor(WAIT);
      assert.deepEqual(await lisp.locator("#chat-echo-area li").allTextContents(), [
        `${lispNick}: hello from the cookbook`,
        "gina: hello from parley",
      ]);
      await screenshot(lisp, "cookbook-page");
      await screenshot(gina, "page-with-cookbook");
    } finally {
      site.closeAllConnections();
      site.close();
    }
  });
});
