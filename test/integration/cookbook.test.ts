import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { RunningParley } from "../../src/server.ts";
import { connect, type TestClient } from "../helpers/client.ts";
import { startTestParley } from "../helpers/parley.ts";

/** Sends a line and learns the sender's Cookbook nickname from its own echo. */
const nickOf = async (client: TestClient, others: TestClient[]): Promise<string> => {
  const probe = `probe-${Math.random()}`;
  client.send(probe);
  const echo = await client.nextMatching((f) => f.endsWith(`: ${probe}`));
  for (const other of others) await other.nextMatching((f) => f === echo);
  return echo.slice(0, -`: ${probe}`.length);
};

const noFrameWithin = async (client: TestClient, ms: number): Promise<void> => {
  const count = client.frames.length;
  await new Promise((resolve) => setTimeout(resolve, ms));
  assert.deepEqual(client.frames.slice(count), [], "no frame expected");
};

describe("Cookbook text mode, byte for byte", () => {
  let parley: RunningParley;
  let url: string;
  before(async () => {
    parley = await startTestParley();
    url = `ws://127.0.0.1:${parley.wsPort}/`;
  });
  after(() => parley.close());

  test("a new connection is sent nothing, and its nickname is user-N with N in [0, 100000)", async () => {
    const a = await connect(url);
    await noFrameWithin(a, 200);
    const nick = await nickOf(a, []);
    const match = /^user-(\d+)$/.exec(nick);
    assert.ok(match, `nickname ${nick}`);
    assert.ok(Number(match[1]) >= 0 && Number(match[1]) < 100000);
    await a.close();
  });

  test("every message goes to every client, sender included, as `nick: message`, in order", async () => {
    const clients = await Promise.all([connect(url), connect(url), connect(`ws://127.0.0.1:${parley.port}/chat`)]);
    const [a, b, c] = clients as [TestClient, TestClient, TestClient];
    const nickA = await nickOf(a, [b, c]);
    const nickB = await nickOf(b, [a, c]);
    const sent = ["one", "two", "three", "four", "five"];
    for (const text of sent) a.send(text);
    b.send("from b");
    for (const client of clients) {
      const got: string[] = [];
      for (let i = 0; i < sent.length + 1; i++) got.push(await client.next());
      assert.deepEqual(
        got.filter((f) => f.startsWith(`${nickA}: `)),
        sent.map((t) => `${nickA}: ${t}`),
      );
      assert.ok(got.includes(`${nickB}: from b`));
    }
    await Promise.all(clients.map((client) => client.close()));
  });

  test("Unicode and an empty message arrive exactly", async () => {
    const a = await connect(url);
    const b = await connect(url);
    const nickA = await nickOf(a, [b]);
    const unicode = "héllo wörld — 你好 🎉 \u0000 null inside";
    a.send(unicode);
    a.send("");
    for (const client of [a, b]) {
      assert.equal(await client.next(), `${nickA}: ${unicode}`);
      assert.equal(await client.next(), `${nickA}: `);
    }
    await a.close();
    await b.close();
  });

  test("a clean close is announced to the others as ` .... nick has left.`", async () => {
    const a = await connect(url);
    const b = await connect(url);
    const c = await connect(url);
    const nickA = await nickOf(a, [b, c]);
    await a.close();
    assert.equal(await b.next(), ` .... ${nickA} has left.`);
    assert.equal(await c.next(), ` .... ${nickA} has left.`);
    await b.close();
    await c.close();
  });

  test("an abrupt TCP drop is announced the same way", async () => {
    const a = await connect(url);
    const b = await connect(url);
    const nickA = await nickOf(a, [b]);
    a.ws.terminate(); // destroys the socket: no close frame
    assert.equal(await b.next(), ` .... ${nickA} has left.`);
    await noFrameWithin(b, 100);
    await b.close();
  });

  test("the /chat path on the page's port and the Cookbook port are one room", async () => {
    const onPage = await connect(`ws://127.0.0.1:${parley.port}/chat`);
    const onCookbook = await connect(url);
    const nick = await nickOf(onPage, [onCookbook]);
    assert.match(nick, /^user-\d+$/);
    await onPage.close();
    await onCookbook.close();
  });
});
