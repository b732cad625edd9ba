import assert from "node:assert/strict";
import { after, afterEach, before, describe, test } from "node:test";
import type { Browser, BrowserContext, Page } from "playwright-core";
import type { RunningParley } from "../../src/server.ts";
import type { ParleyConfig } from "../../src/settings.ts";
import { docScreenshot, seriousViolations } from "../helpers/axe.ts";
import { browserSkip, launchBrowser, watchErrors } from "../helpers/browser.ts";
import { startTestParley } from "../helpers/parley.ts";
import { hsToken, newSecret } from "../helpers/tokens.ts";

const skip = browserSkip();
/** Chromium logs a refused upload like any 4xx answer, and the page's requests while the server is down. */
const REFUSED =
  /^console: Failed to load resource: (the server responded with a status of (413|429) |net::ERR_(CONNECTION_REFUSED|EMPTY_RESPONSE)$)/;
const WAIT = { timeout: 20_000 };

/** A file as the test makes it in the page: text, `bytes` of noise, or a PNG drawn on a canvas (a real image). */
interface FileSpec {
  name: string;
  type: string;
  text?: string;
  bytes?: number;
  png?: [number, number];
  /** The first bytes of `bytes` (a format's signature, so the server's sniffing agrees with the claimed type). */
  head?: number[];
}

/** Builds the files in the page and hands them to `deliver` as a DataTransfer (what a drop or a paste carries). */
const withFiles = async (page: Page, files: FileSpec[], how: "drop" | "paste"): Promise<void> => {
  await page.evaluate(
    async ({ files, how }) => {
      const data = new DataTransfer();
      for (const spec of files) {
        let blob: Blob;
        if (spec.png) {
          const canvas = document.createElement("canvas");
          [canvas.width, canvas.height] = spec.png;
          const g = canvas.getContext("2d");
          if (!g) throw new Error("no canvas");
          const gradient = g.createLinearGradient(0, 0, canvas.width, canvas.height);
          gradient.addColorStop(0, "#2457c5");
          gradient.addColorStop(1, "#f5a524");
          g.fillStyle = gradient;
          g.fillRect(0, 0, canvas.width, canvas.height);
          g.fillStyle = "#fff";
          g.font = `${Math.round(canvas.height / 5)}px sans-serif`;
          g.fillText("Parley", canvas.width / 8, canvas.height / 1.7);
          blob = await new Promise<Blob>((resolve, reject) =>
            canvas.toBlob((b) => (b ? resolve(b) : reject(new Error("no PNG"))), "image/png"),
          );
        } else if (spec.bytes !== undefined) {
          const noise = new Uint8Array(spec.bytes);
          for (let i = 0; i < noise.length; i += 65536) crypto.getRandomValues(noise.subarray(i, i + 65536));
          noise.set(spec.head ?? []);
          blob = new Blob([noise], { type: spec.type });
        } else blob = new Blob([spec.text ?? ""], { type: spec.type });
        data.items.add(new File([blob], spec.name, { type: spec.type }));
      }
      if (how === "paste") {
        const box = document.getElementById("chat-input");
        box?.focus();
        box?.dispatchEvent(new ClipboardEvent("paste", { clipboardData: data, bubbles: true, cancelable: true }));
        return;
      }
      const zone = document.querySelector(".chat");
      for (const type of ["dragenter", "dragover", "drop"]) {
        zone?.dispatchEvent(new DragEvent(type, { dataTransfer: data, bubbles: true, cancelable: true }));
      }
    },
    { files, how },
  );
};

const messageBox = (page: Page) => page.getByRole("textbox", { name: "Message" });
const shownMessage = (page: Page, text: string) =>
  page.locator(".messages:not([hidden]) .message").filter({ has: page.locator(".text", { hasText: text }) });
const card = (page: Page, name: string) =>
  page.locator(".messages:not([hidden]) .file-card").filter({ has: page.locator(".file-name", { hasText: name }) });
const preview = (page: Page, name: string) => page.locator(`.messages:not([hidden]) .file-image img[alt="${name}"]`);
const banner = (page: Page) => page.locator("#alert-text");
const uploadRequests = (page: Page): string[] => {
  const seen: string[] = [];
  page.on("request", (request) => {
    if (request.method() === "POST" && request.url().includes("/files")) seen.push(request.url());
  });
  return seen;
};

describe("Parley's page: sharing files (attach, drop, paste, progress, previews, cards, refusals)", { skip }, () => {
  const servers: RunningParley[] = [];
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const errors: string[][] = [];

  const server = async (overrides: Partial<ParleyConfig> = {}): Promise<string> => {
    const parley = await startTestParley(overrides);
    servers.push(parley);
    return `http://127.0.0.1:${parley.port}`;
  };

  /** A person on `/#room`; with `token`, signed in by a link (`#room&token=…`), else anonymous as `nick`. */
  const person = async (base: string, room: string, nick: string, token?: string): Promise<Page> => {
    const context = await browser.newContext({ viewport: { width: 1200, height: 760 } });
    contexts.push(context);
    const page = await context.newPage();
    errors.push(watchErrors(page));
    await page.goto(`${base}/#${room}${token ? `&token=${token}` : ""}`);
    await page
      .getByRole("status")
      .filter({ hasText: /^Connected$/ })
      .waitFor(WAIT);
    if (token) {
      await page.getByText(`Signed in as ${nick}`).waitFor(WAIT);
      return page;
    }
    await page.getByRole("textbox", { name: "Your nickname" }).fill(nick);
    await page.getByRole("button", { name: "Change" }).click();
    await page.locator("#members li", { hasText: `${nick} (you)` }).waitFor(WAIT);
    return page;
  };

  before(async () => {
    browser = await launchBrowser();
  });
  afterEach(async () => {
    for (const context of contexts.splice(0)) await context.close();
  });
  after(async () => {
    await browser?.close();
    for (const parley of servers) await parley.close();
    const unexpected = errors.flat().filter((e) => !REFUSED.test(e));
    assert.deepEqual(unexpected, [], "no script errors on any page");
  });

  test("attach with the keyboard, drop, paste: the other person sees the caption, a card, a thumbnail that opens the original", async () => {
    const base = await server();
    const alice = await person(base, "share", "alice");
    const bob = await person(base, "share", "bob");

    // The attach button is next to the message box, reached with Tab, named for screen readers.
    const attach = alice.getByRole("button", { name: "Attach a file" });
    // Asked for first: Playwright turns on its catching of file choosers asynchronously.
    const choosing = alice.waitForEvent("filechooser");
    await messageBox(alice).fill("Here is the server log");
    await messageBox(alice).focus();
    await alice.keyboard.press("Shift+Tab");
    assert.equal(await attach.evaluate((el) => el === document.activeElement), true, "focusable, before the box");
    await alice.keyboard.press("Enter");
    const chooser = await choosing;
    assert.equal(chooser.isMultiple(), true);
    const log = "12:00:01 started\n12:00:02 listening on :8080\n";
    await chooser.setFiles({ name: "server.log", mimeType: "text/plain", buffer: Buffer.from(log) });

    // Bob sees one message: the caption and the file's card; its download link gives the very bytes.
    const logCard = card(bob, "server.log");
    await logCard.waitFor(WAIT);
    assert.equal(await messageBox(alice).inputValue(), "", "the caption went with the file");
    const message = shownMessage(bob, "Here is the server log");
    assert.equal(await message.locator(".file-card").count(), 1, "the caption and the file are one message");
    assert.match((await logCard.locator(".file-details").textContent()) ?? "", /^\d+ B · Text file$/);
    assert.equal(await logCard.locator(".file-icon").textContent(), "TXT");
    const download = logCard.getByRole("link", { name: /^Download server\.log/ });
    const href = (await download.getAttribute("href")) ?? "";
    assert.match(href, /^\/files\/[\w-]+$/);
    const fetched = await bob.request.get(new URL(href, base).toString());
    assert.equal(await fetched.text(), log);
    assert.match(fetched.headers()["content-disposition"] ?? "", /^attachment/);

    // Dragging files over the conversation says where they will go; leaving it takes that back.
    await alice.evaluate(() => {
      const data = new DataTransfer();
      data.items.add(new File(["x"], "x.txt", { type: "text/plain" }));
      document.querySelector(".chat")?.dispatchEvent(new DragEvent("dragenter", { dataTransfer: data, bubbles: true }));
    });
    const zone = alice.locator("main.chat");
    assert.equal(await zone.getAttribute("data-drop-label"), "Drop to share in #share");
    assert.match((await zone.getAttribute("class")) ?? "", /\bdropping\b/);
    await alice.evaluate(() =>
      document.querySelector(".chat")?.dispatchEvent(new DragEvent("dragleave", { bubbles: true })),
    );
    assert.doesNotMatch((await zone.getAttribute("class")) ?? "", /\bdropping\b/);

    // A PNG dropped on the conversation: a thumbnail for bob, from /files/{id}/thumb, never the original.
    await withFiles(alice, [{ name: "diagram.png", type: "image/png", png: [1200, 800] }], "drop");
    const image = preview(bob, "diagram.png");
    await image.waitFor(WAIT);
    const src = (await image.getAttribute("src")) ?? "";
    assert.match(src, /^\/files\/[\w-]+\/thumb$/);
    await bob.waitForFunction(
      (name) =>
        (document.querySelector(`.file-image img[alt="${name}"]`) as HTMLImageElement | null)?.naturalWidth ?? 0,
      "diagram.png",
      WAIT,
    );
    const natural = await image.evaluate((img) => [
      (img as HTMLImageElement).naturalWidth,
      (img as HTMLImageElement).naturalHeight,
    ]);
    assert.ok((natural[0] ?? 0) <= 320 && (natural[1] ?? 0) <= 320, `a thumbnail, not the original (${natural})`);
    assert.deepEqual(
      [await image.getAttribute("width"), await image.getAttribute("height")],
      ["320", "213"],
      "its box reserved at the image's shape",
    );
    // A click opens the original in a new tab.
    const [tab] = await Promise.all([
      bob.context().waitForEvent("page"),
      bob.getByRole("link", { name: /^Open diagram\.png/ }).click(),
    ]);
    await tab.waitForLoadState();
    assert.equal(new URL(tab.url()).pathname, src.replace(/\/thumb$/, ""));
    await tab.close();

    // A screenshot pasted into the message box: uploaded under a name with its time.
    await withFiles(alice, [{ name: "image.png", type: "image/png", png: [400, 300] }], "paste");
    await bob.locator(".file-image img[alt^='Pasted image ']").waitFor(WAIT);
    // Text pasted is still just text.
    await alice.evaluate(() => {
      const data = new DataTransfer();
      data.setData("text/plain", "just words");
      document
        .getElementById("chat-input")
        ?.dispatchEvent(new ClipboardEvent("paste", { clipboardData: data, bubbles: true }));
    });
    assert.equal(await alice.locator(".uploads li").count(), 0);

    // From history too: a reload shows the cards and thumbnails again.
    await bob.reload();
    await card(bob, "server.log").waitFor(WAIT);
    await preview(bob, "diagram.png").waitFor(WAIT);

    // Deleted like any message: the tombstone has no file, and the file is gone from the server.
    const mine = shownMessage(alice, "Here is the server log");
    await mine.hover();
    await mine.getByRole("button", { name: "Delete", exact: true }).click();
    await alice.getByRole("button", { name: "Yes, delete it" }).click();
    await card(bob, "server.log").waitFor({ state: "detached", ...WAIT });
    assert.equal((await bob.request.get(new URL(href, base).toString())).status(), 404);
  });

  test("a private room's image and file: members see the thumbnail and open the original; nobody else gets them", async () => {
    const secret = newSecret();
    const base = await server({ authSecret: secret, privateRooms: "vault" });
    const grant = (sub: string, name: string) => hsToken(secret, { sub, name, rooms: ["vault"] });
    const hana = await person(base, "vault", "hana", await grant("u-hana", "hana"));
    const ivan = await person(base, "vault", "ivan", await grant("u-ivan", "ivan"));
    await withFiles(
      hana,
      [
        { name: "plan.png", type: "image/png", png: [640, 480] },
        { name: "plan.txt", type: "text/plain", text: "the plan" },
      ],
      "drop",
    );
    const image = preview(ivan, "plan.png");
    await image.waitFor(WAIT);
    await ivan.waitForFunction(
      () => (document.querySelector(".file-image img") as HTMLImageElement | null)?.naturalWidth ?? 0,
      undefined,
      WAIT,
    );
    const thumb = new URL((await image.getAttribute("src")) ?? "", base);
    assert.equal(thumb.searchParams.has("token"), true, "the thumbnail is fetched with the reader's token");
    // The link shows a plain address (copied, it carries no token) and opens the original for the member.
    const open = ivan.getByRole("link", { name: /^Open plan\.png/ });
    assert.doesNotMatch((await open.getAttribute("href")) ?? "", /token=/);
    const originals: { status: number; type: string | undefined }[] = [];
    ivan.context().on("response", (response) => {
      const path = new URL(response.url()).pathname;
      if (/^\/files\/[\w-]+$/.test(path))
        originals.push({ status: response.status(), type: response.headers()["content-type"] });
    });
    const [tab] = await Promise.all([ivan.context().waitForEvent("page"), open.click()]);
    await tab.waitForLoadState();
    assert.deepEqual(originals, [{ status: 200, type: "image/png" }]);
    await tab.close();
    const download = card(ivan, "plan.txt").getByRole("link", { name: /^Download plan\.txt/ });
    const [saved] = await Promise.all([ivan.waitForEvent("download"), download.click()]);
    assert.equal(saved.suggestedFilename(), "plan.txt");
    assert.equal(await saved.failure(), null);

    // Without a member's token: nothing, not even that it exists.
    const plain = `${thumb.origin}${thumb.pathname}`;
    assert.equal((await fetch(plain)).status, 404);
    const outsider = await hsToken(secret, { sub: "u-eve", name: "eve" });
    assert.equal((await fetch(`${plain}?token=${outsider}`)).status, 404);
  });

  test("SVG and HTML are cards with a download link, never drawn or run; axe finds nothing serious; screenshots", async () => {
    const base = await server();
    const carol = await person(base, "design-review", "carol");
    const dan = await person(base, "design-review", "dan");
    await withFiles(
      carol,
      [
        {
          name: "logo.svg",
          type: "image/svg+xml",
          text: '<svg xmlns="http://www.w3.org/2000/svg" onload="top.__svg=1"><circle r="5"/></svg>',
        },
        { name: "page.html", type: "text/html", text: "<script>top.__html=1</script><h1>hi</h1>" },
      ],
      "drop",
    );
    for (const name of ["logo.svg", "page.html"]) await card(dan, name).waitFor(WAIT);
    assert.equal(await dan.locator(".messages img").count(), 0, "nothing of them drawn");
    assert.equal(await dan.evaluate(() => (window as { __svg?: number; __html?: number }).__svg ?? 0), 0);

    await messageBox(dan).fill("Shipping these with the release:");
    await withFiles(
      dan,
      [
        {
          name: "release-notes.pdf",
          type: "application/pdf",
          text: "%PDF-1.4\n%âãÏÓ\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n",
        },
        { name: "screenshot.png", type: "image/png", png: [960, 600] },
        { name: "build-logs.tar.gz", type: "application/gzip", bytes: 48_000, head: [0x1f, 0x8b, 0x08, 0] },
      ],
      "drop",
    );
    await card(carol, "build-logs.tar.gz").waitFor(WAIT);
    const names = await carol
      .locator(".messages:not([hidden]) .message[data-nick=dan] .file-name")
      .evaluateAll((els) => els.map((el) => el.textContent));
    assert.deepEqual(names, ["release-notes.pdf", "screenshot.png", "build-logs.tar.gz"], "in the order dropped");
    assert.equal(await shownMessage(carol, "Shipping these with the release:").locator(".file-card").count(), 1);
    await carol.waitForFunction(() =>
      [...document.querySelectorAll<HTMLImageElement>(".file-image img")].every(
        (img) => img.complete && img.naturalWidth > 0,
      ),
    );
    await carol.getByRole("button", { name: "Dismiss this message" }).click(); // "You are now carol": old news
    assert.deepEqual(await seriousViolations(carol), [], "file cards and previews, light");
    await docScreenshot(carol, "files-light");
    await carol.emulateMedia({ colorScheme: "dark" });
    assert.deepEqual(await seriousViolations(carol), [], "file cards and previews, dark");
    await docScreenshot(carol, "files-dark");

    // On a phone: the cards and the thumbnail fit; nothing scrolls sideways.
    const phone = await browser.newContext({ viewport: { width: 390, height: 780 }, isMobile: true, hasTouch: true });
    contexts.push(phone);
    const small = await phone.newPage();
    errors.push(watchErrors(small));
    await small.goto(`${base}/#design-review`);
    await card(small, "build-logs.tar.gz").waitFor(WAIT);
    const overflow = await small.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `no sideways scrolling on a phone (${overflow}px)`);
    assert.deepEqual(await seriousViolations(small), [], "file cards on a phone");
  });

  test("a big upload shows its progress and can be cancelled: nothing is sent, the caption comes back", async () => {
    const base = await server();
    const erin = await person(base, "slow", "erin");
    const cdp = await erin.context().newCDPSession(erin);
    await cdp.send("Network.enable");
    // About 400 kB/s up: an 8 MB upload takes long enough to watch.
    await cdp.send("Network.emulateNetworkConditions", {
      offline: false,
      latency: 0,
      downloadThroughput: -1,
      uploadThroughput: 400_000,
    });
    await messageBox(erin).fill("the full dump");
    await withFiles(erin, [{ name: "dump.bin", type: "application/octet-stream", bytes: 8_000_000 }], "drop");
    const bar = erin.getByRole("progressbar", { name: "Uploading dump.bin" });
    await bar.waitFor(WAIT);
    await erin.waitForFunction(
      () => ((document.querySelector(".upload progress") as HTMLProgressElement | null)?.value ?? 0) > 0,
      undefined,
      WAIT,
    );
    assert.match((await erin.locator(".upload-state").textContent()) ?? "", /^\d+% of 8\.0 MB$/);
    assert.equal(await erin.locator(".upload-name").textContent(), "dump.bin · “the full dump”", "its caption with it");
    assert.deepEqual(await seriousViolations(erin), [], "with the upload bar on screen");
    await docScreenshot(erin, "files-uploading");
    await erin.getByRole("button", { name: "Cancel uploading dump.bin" }).click();
    await bar.waitFor({ state: "detached", ...WAIT });
    assert.equal(await messageBox(erin).inputValue(), "the full dump", "the caption is back in the box");
    assert.match(
      (await erin
        .getByRole("status")
        .filter({ hasText: /cancelled/ })
        .textContent()) ?? "",
      /Upload of dump\.bin cancelled/,
    );
    await cdp.send("Network.emulateNetworkConditions", {
      offline: false,
      latency: 0,
      downloadThroughput: -1,
      uploadThroughput: -1,
    });
    // Nothing was sent: the room has no message.
    await erin.waitForTimeout(300);
    assert.equal(await erin.locator(".messages:not([hidden]) .message, .pending").count(), 0);
  });

  test("refusals are said where they happen and go when they no longer hold: too big, quota, rate, offline", async () => {
    const base = await server({ fileMaxBytes: 100_000, fileQuotaBytes: 150_000, fileRate: 4 });
    const gus = await person(base, "limits", "gus");
    const posts = uploadRequests(gus);

    // Too big: said from the ticket's max_bytes, before a byte is sent; the caption stays in the box.
    await messageBox(gus).fill("the demo video");
    await withFiles(gus, [{ name: "video.mp4", type: "video/mp4", bytes: 250_000 }], "drop");
    await banner(gus).filter({ hasText: "video.mp4 is 250 kB: files up to 100 kB can be shared here." }).waitFor(WAIT);
    assert.deepEqual(posts, [], "no upload was started");
    assert.equal(await messageBox(gus).inputValue(), "the demo video");
    await messageBox(gus).fill("");

    // The next upload that works clears it.
    await withFiles(gus, [{ name: "notes.txt", type: "text/plain", text: "note ".repeat(18_000) }], "drop");
    await card(gus, "notes.txt").waitFor(WAIT);
    await banner(gus)
      .filter({ hasText: "video.mp4" })
      .waitFor({ state: "hidden", ...WAIT });

    // Quota: 90 kB stored, 90 kB more is over 150 kB.
    await withFiles(gus, [{ name: "more.txt", type: "text/plain", text: "more ".repeat(18_000) }], "drop");
    await banner(gus)
      .filter({ hasText: /more\.txt was not uploaded: .*storage quota/ })
      .waitFor(WAIT);

    // Rate: small files until the server says when to try again.
    for (let i = 0; i < 4; i++)
      await withFiles(gus, [{ name: `tiny-${i}.txt`, type: "text/plain", text: "x" }], "drop");
    await banner(gus)
      .filter({ hasText: /too many uploads at once\. Try again in \d+ s\./ })
      .waitFor(WAIT);

    // Offline: nothing is queued in silence.
    await servers.pop()?.close();
    await gus
      .getByRole("status")
      .filter({ hasText: /^(Offline|Connecting|Reconnecting)/ })
      .waitFor(WAIT);
    await withFiles(gus, [{ name: "later.txt", type: "text/plain", text: "later" }], "drop");
    await banner(gus)
      .filter({
        hasText:
          "You are offline: later.txt was not uploaded (nothing is kept for later). Attach again once connected.",
      })
      .waitFor(WAIT);
  });
});
