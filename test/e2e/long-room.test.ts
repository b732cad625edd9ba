import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Browser } from "playwright-core";
import type { RunningParley } from "../../src/server.ts";
import { browserSkip, launchBrowser, watchErrors } from "../helpers/browser.ts";
import { startTestParley } from "../helpers/parley.ts";
import { nextEvent, sdkClient } from "../helpers/sdk.ts";

const MESSAGES = 10_000;
const WAIT = { timeout: 120_000 };

describe("a room with 10,000 messages loaded, in Chromium", { skip: browserSkip() }, () => {
  let parley: RunningParley;
  let browser: Browser;
  before(async () => {
    // The page's first page of history is the whole room here, so all 10 000 are in the page at once.
    parley = await startTestParley({ historyLimit: MESSAGES, maxHistoryLimit: MESSAGES });
    const writer = sdkClient(`ws://127.0.0.1:${parley.port}/chat`, { nick: "writer" });
    const room = writer.join("big");
    await nextEvent(room, "joined");
    const sends: Promise<unknown>[] = [];
    for (let i = 1; i <= MESSAGES; i++) {
      const code = i % 25 === 0 ? "\n```\nline one\nline two\n```" : "";
      sends.push(room.send(`message ${i}: ${"some **words** and `code` ".repeat(1 + (i % 4))}${code}`));
    }
    await Promise.all(sends);
    await writer.close();
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await parley?.close();
  });

  // Not met yet: every 10 000 messages stay in the DOM (no windowing), and each scroll step here is a long task
  // (≈ 400 of them, up to ≈ 500 ms, on the shared 2-core machine). Kept as a measurement until the log renders
  // only what is on screen; `todo` so it reports without failing the suite.
  test("scrolling from the latest to the first message has no long task over 50 ms", {
    todo: "render only the messages on screen",
  }, async () => {
    const page = await browser.newPage({ viewport: { width: 1100, height: 700 } });
    const errors = watchErrors(page);
    await page.goto(`http://127.0.0.1:${parley.port}/#big`);
    await page.locator(".message .text", { hasText: `message ${MESSAGES}:` }).waitFor(WAIT);
    assert.equal(await page.locator(".messages:not([hidden]) .message").count(), MESSAGES);
    // Let loading settle, then watch long tasks only while scrolling.
    await page.waitForTimeout(1000);
    const result = await page.evaluate(async () => {
      const tasks: number[] = [];
      const observer = new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) tasks.push(entry.duration);
      });
      observer.observe({ type: "longtask" });
      const scroller = document.getElementById("scroller") as HTMLElement;
      let steps = 0;
      // A fast reader: a screen and a half per frame, bottom to top.
      while (scroller.scrollTop > 0 && steps < 5000) {
        scroller.scrollTop -= scroller.clientHeight * 1.5;
        await new Promise((resolve) => requestAnimationFrame(resolve));
        steps++;
      }
      await new Promise((resolve) => requestAnimationFrame(resolve));
      observer.disconnect();
      return { tasks, steps, rendered: document.querySelectorAll(".message").length };
    });
    process.stdout.write(
      `# 10,000 messages: ${result.steps} scroll steps, long tasks: ${result.tasks.length} (max ${Math.round(Math.max(0, ...result.tasks))} ms)\n`,
    );
    assert.ok(result.steps > 50, `scrolled through the room (${result.steps} steps)`);
    assert.deepEqual(result.tasks, [], "no long task while scrolling");
    assert.deepEqual(errors, []);
  });
});
