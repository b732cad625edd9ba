import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";

/** Debian's Chromium; never a downloaded browser. */
export const CHROMIUM = "/usr/bin/chromium";
export const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** `false` when Chromium is there; otherwise the reason every browser test is skipped, said loudly. */
export const browserSkip = (): string | false => {
  if (existsSync(CHROMIUM)) return false;
  const reason = `SKIPPED: ${CHROMIUM} is missing; install it with \`apt-get install -y chromium\` (.ci/run does)`;
  process.stderr.write(`\n${"!".repeat(100)}\n!!! browser tests ${reason}\n${"!".repeat(100)}\n\n`);
  return reason;
};

export const launchBrowser = (): Promise<Browser> =>
  chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS, timeout: 30_000 });

const OUTPUT = join(process.cwd(), "test-output");

/** Saves a PNG of the page under test-output/ (git-ignored) and returns its path. */
export const screenshot = async (page: Page, name: string): Promise<string> => {
  mkdirSync(OUTPUT, { recursive: true });
  const path = join(OUTPUT, `${name}.png`);
  await page.screenshot({ path, fullPage: false });
  return path;
};

// Chromium logs every refused WebSocket dial itself; while a server restarts, that is expected.
const EXPECTED_CONSOLE = /^WebSocket connection to '.*' failed: /;

/** Collects uncaught page errors and console errors, so a test can assert there were none. */
export const watchErrors = (page: Page): string[] => {
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(`pageerror: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() === "error" && !EXPECTED_CONSOLE.test(message.text())) errors.push(`console: ${message.text()}`);
  });
  return errors;
};
