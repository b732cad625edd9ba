// test-runner: alone (asserts the name back within 3 s of a kill)
import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import { createServer, type Server, type Socket, connect as tcpConnect } from "node:net";
import { after, before, describe, test } from "node:test";
import type { Browser, Page } from "playwright-core";
import type { RunningParley } from "../../src/server.ts";
import { browserSkip, launchBrowser, watchErrors } from "../helpers/browser.ts";
import { jsonClient, startChildNode, startNodes } from "../helpers/cluster.ts";
import {
  createTestDatabase,
  postgresMissing,
  REDIS_URL,
  redisMissing,
  redisPrefix,
  skipReason,
  type TestDatabase,
} from "../helpers/engines.ts";

const WAIT = { timeout: 20_000 };

/** A TCP load balancer on loopback: each new connection goes to the port `pick` names. */
const startBalancer = async (pick: () => number): Promise<{ port: number; close(): Promise<void> }> => {
  const open = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = tcpConnect(pick(), "127.0.0.1");
    for (const socket of [client, upstream]) {
      open.add(socket);
      socket.on("error", () => {});
      socket.on("close", () => {
        open.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => {
      for (const socket of open) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
};

describe("the page behind a load balancer, its node killed with SIGKILL", async () => {
  const reason = browserSkip() || (await skipReason(postgresMissing, redisMissing));
  let db: TestDatabase;
  let keys: ReturnType<typeof redisPrefix>;
  let survivors: RunningParley[] = [];
  let doomed: Awaited<ReturnType<typeof startChildNode>> | undefined;
  let balancer: Awaited<ReturnType<typeof startBalancer>> | undefined;
  let browser: Browser | undefined;

  before(async () => {
    if (reason) return;
    db = await createTestDatabase();
    keys = redisPrefix();
    survivors = await startNodes(2, { store: db.url, redis: REDIS_URL, redisPrefix: keys.prefix });
    doomed = await startChildNode(["--store", db.url, "--redis", REDIS_URL, "--redis-prefix", keys.prefix]);
    let next = 0;
    balancer = await startBalancer(() => {
      const alive = doomed?.process.exitCode === null && doomed.process.signalCode === null;
      return alive ? (doomed?.port ?? 0) : (survivors[next++ % survivors.length] as RunningParley).port;
    });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await balancer?.close();
    await doomed?.stop();
    for (const node of survivors) await node.close();
    if (reason) return;
    await db.drop();
    await keys.clean();
  });

  test("it reconnects to another node under the same name, and keeps that name stored", { skip: reason }, async () => {
    const context = await (browser as Browser).newContext();
    const page: Page = await context.newPage();
    const errors = watchErrors(page);
    await page.goto(`http://127.0.0.1:${balancer?.port}/#crash`);
    await page
      .getByRole("status")
      .filter({ hasText: /^Connected$/ })
      .waitFor(WAIT);
    await page.getByRole("textbox", { name: "Your nickname" }).fill("kim");
    await page.getByRole("button", { name: "Change" }).click();
    await page.getByRole("list").filter({ hasText: "kim (you)" }).waitFor(WAIT);
    const watcher = await jsonClient((survivors[0] as RunningParley).port, "crash");
    await watcher.take((e) => e.type === "joined");

    const killedAt = Date.now();
    await doomed?.stop(); // the default --node-timeout-ms: its claim on "kim" lasts ≈ 13 s
    await page
      .getByRole("status")
      .filter({ hasText: /^Connected$/ })
      .waitFor(WAIT);
    await page.getByRole("textbox", { name: "Message" }).fill("still kim");
    await page.getByRole("textbox", { name: "Message" }).press("Enter");
    const seen = await watcher.take((e) => e.type === "message" && e.text === "still kim");
    const took = Date.now() - killedAt;
    assert.equal(seen.nick, "kim", "the room sees the page's message under its name");
    assert.ok(took < 3000, `back under its name ${took} ms after the kill, long before the ghost is swept`);
    console.log(`# the page's message under its own name reached the room ${took} ms after SIGKILL of its node`);
    assert.equal(await page.getByRole("textbox", { name: "Your nickname" }).inputValue(), "kim");
    assert.equal(await page.evaluate(() => localStorage.getItem("parley.nick")), "kim", "the page still stores kim");
    assert.ok(
      !watcher.events().some((e) => e.type === "presence" && e.nick === "kim" && e.action !== "join"),
      "the room saw kim neither leave nor get renamed",
    );
    assert.deepEqual(errors, []);
    await watcher.close();
    await context.close();
  });
});
