// test-runner: alone (Chromium long-task budget of 50 ms)
import assert from "node:assert/strict";
import { availableParallelism, loadavg } from "node:os";
import { after, before, describe, test } from "node:test";
import type { Browser, Page } from "playwright-core";
import type { RunningParley } from "../../src/server.ts";
import { browserSkip, launchBrowser, watchErrors } from "../helpers/browser.ts";
import { startTestParley } from "../helpers/parley.ts";
import { nextEvent, sdkClient } from "../helpers/sdk.ts";

const BIG = 10_000;
const WAIT = { timeout: 120_000 };
/** What Chromium calls a long task: the page did not answer input for longer than this, ms. */
const LONG_TASK_MS = 50;

interface Scrolled {
  longTasks: number[];
  /** Rows in the DOM at the end (the page draws only what is near the screen). */
  rows: number;
  /** How far up the scrolling went, px. */
  travelled: number;
}

const inView = (page: Page, text: string): Promise<boolean> =>
  page
    .locator(".messages:not([hidden]) .message .text", { hasText: text })
    .first()
    .evaluate((el) => {
      const box = el.getBoundingClientRect();
      const scroller = document.getElementById("scroller")?.getBoundingClientRect();
      // Within a pixel: scrollTop is whole pixels, the rows' heights are not.
      return scroller !== undefined && box.top >= scroller.top - 1 && box.bottom <= scroller.bottom + 1;
    });

/**
 * 10,000 messages loaded in one room, scrolled with the mouse wheel as a person would (200 steps of 400 px, up
 * then down, one every 16 ms) while a PerformanceObserver counts long tasks: none over 50 ms. Only the rows near the
 * screen are in the DOM, and what the page does with the log still works: jump to latest, ↑/↓ between messages,
 * a search result far up.
 */
describe("a room with 10,000 messages loaded, in Chromium", { skip: browserSkip() }, () => {
  let parley: RunningParley;
  let browser: Browser;
  let page: Page;
  let errors: string[];

  before(async () => {
    // The page's first page of history is the whole room here, so every message is in the page at once.
    parley = await startTestParley({ historyLimit: BIG, maxHistoryLimit: BIG });
    const writer = sdkClient(`ws://127.0.0.1:${parley.port}/chat`, { nick: "writer" });
    const room = writer.join("big");
    await nextEvent(room, "joined");
    const sends: Promise<unknown>[] = [];
    for (let i = 1; i <= BIG; i++) {
      const code = i % 25 === 0 ? "\n```\nline one\nline two\n```" : "";
      sends.push(room.send(`message ${i}: ${"some **words** and `code` ".repeat(1 + (i % 4))}${code}`));
    }
    await Promise.all(sends);
    await writer.close();
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1100, height: 700 } });
    errors = watchErrors(page);
    await page.goto(`http://127.0.0.1:${parley.port}/#big`);
    await page.locator(".message .text", { hasText: `message ${BIG}:` }).waitFor(WAIT);
    await page.waitForTimeout(1000); // loading settles
  });
  after(async () => {
    assert.deepEqual(errors, []);
    await browser?.close();
    await parley?.close();
  });

  const wheel = async (): Promise<Scrolled> => {
    await page.evaluate(() => {
      const w = window as unknown as { longTasks: number[]; startTop: number; watcher?: PerformanceObserver };
      w.watcher?.disconnect();
      w.longTasks = [];
      w.startTop = (document.getElementById("scroller") as HTMLElement).scrollTop;
      w.watcher = new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) w.longTasks.push(Math.round(entry.duration));
      });
      w.watcher.observe({ type: "longtask" });
    });
    await page.mouse.move(550, 350);
    for (let i = 0; i < 150; i++) {
      await page.mouse.wheel(0, -400);
      await page.waitForTimeout(16);
    }
    for (let i = 0; i < 50; i++) {
      await page.mouse.wheel(0, 400);
      await page.waitForTimeout(16);
    }
    await page.waitForTimeout(200); // the last frames' tasks are reported
    return page.evaluate(() => {
      const w = window as unknown as { longTasks: number[]; startTop: number };
      const scroller = document.getElementById("scroller") as HTMLElement;
      return {
        longTasks: w.longTasks,
        rows: document.querySelectorAll(".messages .message").length,
        travelled: w.startTop - scroller.scrollTop,
      };
    });
  };

  test("scrolling through them with the mouse wheel: no long task over 50 ms, only rows near the screen drawn", async () => {
    // A long task is wall time: other programs taking the CPU stretch the page's tasks too. Up to three tries, the
    // last one decides; on a machine with more than twice as many runnable processes as cores (this one runs other
    // suites at once), the bound is four times looser and said so. Alone, a try has none (measured: 0 in 200 steps).
    const load1 = (): number => loadavg()[0] ?? 0;
    const oversubscribed = load1() > 2 * availableParallelism();
    const bound = oversubscribed ? 4 * LONG_TASK_MS : LONG_TASK_MS;
    let result = await wheel();
    for (let attempt = 1; ; attempt++) {
      const { longTasks, rows } = result;
      const load = oversubscribed
        ? ` (load ${load1().toFixed(1)} on ${availableParallelism()} cores: bound ${bound} ms)`
        : "";
      process.stdout.write(
        `# wheel, 200 steps (try ${attempt}): long tasks ${JSON.stringify(longTasks)}, ${rows} rows drawn${load}\n`,
      );
      if (longTasks.every((ms) => ms <= bound) || attempt === 3) break;
      result = await wheel();
    }
    assert.ok(result.travelled > 30_000, `scrolled ${result.travelled} px up`);
    assert.deepEqual(
      result.longTasks.filter((ms) => ms > bound),
      [],
      `no long task over ${bound} ms while scrolling`,
    );
    assert.ok(result.rows < 500, `${result.rows} of ${BIG} messages are in the DOM`);
  });

  test("what the log does still works when most of it is not drawn: jump to latest, ↑/↓, a search result far up", async () => {
    const jump = page.getByRole("button", { name: /Jump to latest|new message/ });
    await jump.waitFor(WAIT);
    await jump.click();
    await page.locator(".message .text", { hasText: `message ${BIG}:` }).waitFor(WAIT);
    assert.ok(await inView(page, `message ${BIG}:`), "the latest message is on screen");

    // ↑ from the last message, across the rows drawn as they come near.
    await page.locator(".message", { hasText: `message ${BIG}:` }).focus();
    for (let i = 0; i < 60; i++) await page.keyboard.press("ArrowUp");
    const focused = await page.locator(".message:focus .text").textContent();
    assert.match(focused ?? "", new RegExp(`^message ${BIG - 60}:`));
    assert.ok(await inView(page, `message ${BIG - 60}:`));

    const box = page.getByRole("searchbox", { name: "Search messages" });
    await box.fill("42");
    await box.press("Enter");
    const panel = page.getByRole("region", { name: /for “42”/ });
    await panel.getByRole("button").filter({ hasText: "message 42:" }).click();
    const found = page.locator(".message.highlighted .text", { hasText: "message 42:" });
    await found.waitFor(WAIT);
    assert.ok(await inView(page, "message 42:"), "the message found is scrolled into view");
  });
});
