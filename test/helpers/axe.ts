import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Page } from "playwright-core";

const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: string[];
}

/**
 * Runs axe-core in the page (evaluated through the DevTools protocol, so the page's CSP does not apply to it)
 * and returns the serious and critical violations, each with the selectors of the elements at fault.
 */
export const seriousViolations = async (page: Page): Promise<AxeViolation[]> => {
  await page.evaluate(axeSource);
  return page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (options: object) => Promise<AxeRun> } }).axe;
    interface AxeRun {
      violations: { id: string; impact: string | null; help: string; nodes: { target: string[] }[] }[];
    }
    const result = await axe.run({ resultTypes: ["violations"] });
    return result.violations
      .filter((v) => v.impact === "serious" || v.impact === "critical")
      .map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(" ")) }));
  });
};

const DOCS = join(process.cwd(), "docs", "screenshots");
let scratch: string | undefined;

/**
 * Where `docScreenshot` writes: docs/screenshots/ only when asked (`PARLEY_UPDATE_SCREENSHOTS=1`), so that a test run
 * leaves the repository's images as they are; else a temporary directory of this test file's process, removed when
 * it exits.
 */
export const screenshotDir = (env: NodeJS.ProcessEnv = process.env): string => {
  if (env.PARLEY_UPDATE_SCREENSHOTS === "1") return DOCS;
  if (scratch === undefined) {
    const dir = mkdtempSync(join(tmpdir(), "parley-screenshots-"));
    process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
    scratch = dir;
  }
  return scratch;
};

/** Takes a PNG of what the page shows, for docs/screenshots/ (the README shows some of them): see `screenshotDir`. */
export const docScreenshot = async (page: Page, name: string): Promise<string> => {
  const dir = screenshotDir();
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${name}.png`);
  await page.screenshot({ path, fullPage: false, animations: "disabled", caret: "hide" });
  return path;
};
