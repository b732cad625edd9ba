import assert from "node:assert/strict";
import { after, afterEach, before } from "node:test";
import type { Browser, BrowserContext, BrowserContextOptions, Page } from "playwright-core";
import type { RunningParley } from "../../src/server.ts";
import type { ParleyConfig } from "../../src/settings.ts";
import { launchBrowser, watchErrors } from "./browser.ts";
import { startTestParley } from "./parley.ts";

/** How long a page may take to show what a test waits for (a loaded machine included). */
export const WAIT = { timeout: 20_000 };

export interface PersonOptions {
  /** Over the fixture's viewport; `isMobile: true` means the nickname form is behind the People button. */
  context?: BrowserContextOptions;
  /** Runs on the new context before its page opens (permissions, init scripts). */
  prepare?: (context: BrowserContext) => Promise<unknown>;
}

export interface PageFixture {
  /** The Parley under test; a test that restarts it assigns the new one here. */
  parley: RunningParley;
  /** `http://127.0.0.1:PORT` of the page. */
  readonly base: string;
  readonly browser: Browser;
  /** A new browser context (its own storage), closed after the test. */
  context(options?: BrowserContextOptions): Promise<BrowserContext>;
  /** A page in `context` whose script errors fail the file. */
  page(context: BrowserContext): Promise<Page>;
  /** A new person on `/#room`, connected, renamed to `nick` if given (and shown as "nick (you)"). */
  person(room: string, nick?: string, options?: PersonOptions): Promise<Page>;
}

/**
 * The browser tests' set-up, registered as hooks of the calling `describe`: one Parley and one Chromium for the
 * file (tests stay independent through their own rooms and contexts), every context closed after its test, and
 * no script error on any page by the end.
 */
export const pageFixture = (
  options: { parley?: Partial<ParleyConfig>; viewport?: { width: number; height: number } } = {},
): PageFixture => {
  const viewport = options.viewport ?? { width: 1200, height: 760 };
  const contexts: BrowserContext[] = [];
  const errors: string[][] = [];
  let browser: Browser | undefined;
  let parley: RunningParley | undefined;
  const started = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`${what} is not started yet (use it inside a test)`);
    return value;
  };

  before(async () => {
    parley = await startTestParley(options.parley);
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

  const fixture: PageFixture = {
    get parley() {
      return started(parley, "Parley");
    },
    set parley(next: RunningParley) {
      parley = next;
    },
    get base() {
      return `http://127.0.0.1:${started(parley, "Parley").port}`;
    },
    get browser() {
      return started(browser, "Chromium");
    },
    context: async (contextOptions = {}) => {
      const context = await started(browser, "Chromium").newContext({ viewport, ...contextOptions });
      contexts.push(context);
      return context;
    },
    page: async (context) => {
      const page = await context.newPage();
      errors.push(watchErrors(page));
      return page;
    },
    person: async (room, nick, personOptions = {}) => {
      const context = await fixture.context(personOptions.context);
      await personOptions.prepare?.(context);
      const page = await fixture.page(context);
      await page.goto(`${fixture.base}/#${room}`);
      await page
        .getByRole("status")
        .filter({ hasText: /^Connected$/ })
        .waitFor(WAIT);
      if (nick === undefined) return page;
      const phone = personOptions.context?.isMobile === true;
      if (phone) await page.getByRole("button", { name: "People" }).click();
      await page.getByRole("textbox", { name: "Your nickname" }).fill(nick);
      await page.getByRole("button", { name: "Change" }).click();
      await page.locator("#members li", { hasText: `${nick} (you)` }).waitFor(WAIT);
      if (phone) await page.keyboard.press("Escape");
      return page;
    },
  };
  return fixture;
};
