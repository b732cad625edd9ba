import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { type ChildParley, spawnParley } from "../helpers/child.ts";
import { connect } from "../helpers/client.ts";
import {
  CutProxy,
  createTestDatabase,
  postgresMissing,
  REDIS_URL,
  redisMissing,
  redisPrefix,
  skipReason,
  sleep,
  type TestDatabase,
} from "../helpers/engines.ts";
import { connectJson, type JsonClient, ofType } from "../helpers/json.ts";
import { hsToken, newSecret } from "../helpers/tokens.ts";

/**
 * Redis cut while clients connect, on a Parley in its own process: an unhandled promise rejection
 * would end it (Node's default, made explicit with --unhandled-rejections=strict). It must stay up,
 * tell each client, and serve again once Redis is back.
 */
describe("Redis cut during a connect", async () => {
  const reason = await skipReason(postgresMissing, redisMissing);
  const secret = newSecret();
  const keys = redisPrefix();
  let db: TestDatabase | undefined;
  let proxy: CutProxy | undefined;
  let parley: ChildParley | undefined;
  const clients: JsonClient[] = [];
  before(async () => {
    if (reason) return;
    db = await createTestDatabase();
    proxy = await CutProxy.start(Number(new URL(REDIS_URL).port || 6379));
    parley = await spawnParley(
      [
        "--store",
        db.url,
        "--redis",
        `redis://127.0.0.1:${proxy.port}`,
        "--redis-prefix",
        keys.prefix,
        "--auth-secret",
        secret,
        "--log-level",
        "info",
      ],
      { NODE_OPTIONS: "--unhandled-rejections=strict" },
    );
  });
  after(async () => {
    for (const client of clients) await client.close();
    parley?.child.kill("SIGKILL");
    await parley?.exited;
    await proxy?.close();
    await db?.drop();
    await keys.clean();
  });

  test("the server stays up, each client connecting meanwhile is told, and all is well once Redis is back", {
    skip: reason,
    timeout: 40_000,
  }, async () => {
    const { port, wsPort } = parley as ChildParley;
    const open = async (url: string, token?: string) => {
      const client = await connectJson(url, token);
      clients.push(client);
      return client;
    };
    const before = await open(`ws://127.0.0.1:${port}/chat/lobby`);
    await before.untilJoined("lobby");

    (proxy as CutProxy).cut();
    const [anonymous, signedIn, text] = await Promise.all([
      open(`ws://127.0.0.1:${port}/chat/during`),
      open(`ws://127.0.0.1:${port}/chat/during`, await hsToken(secret, { sub: "u-1", name: "Una" })),
      connect(`ws://127.0.0.1:${wsPort}/chat/during`),
    ]);
    const told = await Promise.all(
      [anonymous, signedIn].map((client) => client.expect(ofType("error", { room: "during" }), 15_000)),
    );
    for (const error of told) {
      assert.equal(error.code, "unavailable");
      assert.match(String(error.message), /during could not be joined/);
    }
    // A Cookbook client has only its one room: closed with "try again later" and why.
    const closed = await text.closed;
    assert.equal(closed.code, 1013);
    assert.match(closed.reason, /not answering: reconnect/);

    assert.equal((parley as ChildParley).child.exitCode, null, "the server is still running");
    assert.equal((await fetch(`http://127.0.0.1:${port}/healthz`)).status, 200);

    (proxy as CutProxy).restore();
    for (let i = 0; (await fetch(`http://127.0.0.1:${port}/readyz`)).status !== 200; i++) {
      assert.ok(i < 100, "ready again within 10 s");
      await sleep(100);
    }
    const after = await open(`ws://127.0.0.1:${port}/chat/during`);
    await after.untilJoined("during");
    after.send({ type: "send", text: "back", cid: "b1" });
    await after.expect(ofType("ack", { cid: "b1" }));
    before.send({ type: "send", text: "still here", cid: "s1" });
    await before.expect(ofType("ack", { cid: "s1" }));

    const output = (parley as ChildParley).output();
    assert.doesNotMatch(output, /unhandled|ERR_UNHANDLED_REJECTION/i);
    assert.match(output, /"event":"failed","what":"subscribe"/, "the failure is logged");
  });
});
