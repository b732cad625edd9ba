import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Browser } from "playwright-core";
import type { RunningParley } from "../../src/server.ts";
import { browserSkip, launchBrowser, watchErrors } from "../helpers/browser.ts";
import { startTestParley } from "../helpers/parley.ts";
import { startProxy, type TcpProxy } from "../helpers/proxy.ts";
import { nextEvent, sdkClient } from "../helpers/sdk.ts";

const WAIT = { timeout: 30_000 };
/** The SDK's defaults: a ping after 5 s of silence, lost 4 s later; and a margin for a loaded machine. */
const NOTICED_WITHIN_MS = 15_000;

/**
 * A half-open connection: the page talks to Parley through a TCP proxy that, at some point, stops forwarding what
 * the server sends without closing anything (as a sleeping laptop's NAT or a stuck proxy would). The socket stays
 * "open" for the browser; the page must stop saying "Connected" within seconds, and come back once the path works.
 */
describe("a connection that stops answering, in Chromium", { skip: browserSkip() }, () => {
  let parley: RunningParley;
  let proxy: TcpProxy;
  let browser: Browser;

  before(async () => {
    parley = await startTestParley();
    proxy = await startProxy(parley.port);
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await proxy?.close();
    await parley?.close();
  });

  test("is shown as not connected within 15 s, then reconnects and shows what was said meanwhile", async () => {
    const page = await browser.newPage();
    const errors = watchErrors(page);
    await page.goto(`http://127.0.0.1:${proxy.port}/#quiet`);
    const status = page.locator("#status");
    await page.locator("#status[data-state=connected]").waitFor(WAIT);

    proxy.dropDownstream = true;
    const cut = Date.now();
    await page.locator("#status:not([data-state=connected])").waitFor(WAIT);
    const noticed = Date.now() - cut;
    process.stdout.write(`# half-open connection noticed after ${noticed} ms: "${await status.textContent()}"\n`);
    assert.ok(noticed < NOTICED_WITHIN_MS, `noticed after ${noticed} ms`);

    const other = sdkClient(`ws://127.0.0.1:${parley.port}/chat`, { nick: "other" });
    const room = other.join("quiet");
    await nextEvent(room, "joined");
    await room.send("said while the page could not hear");
    proxy.dropDownstream = false;
    await page.locator("#status[data-state=connected]").waitFor(WAIT);
    await page.locator(".message .text", { hasText: "said while the page could not hear" }).waitFor(WAIT);
    await other.close();
    assert.deepEqual(
      errors.filter((e) => !e.includes("WebSocket")),
      [],
    );
  });
});
