import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ADMIN_TOKEN, call, createKey } from "../helpers/api.ts";
import { connect } from "../helpers/client.ts";
import { connectJson, ofType } from "../helpers/json.ts";
import { startTestParley } from "../helpers/parley.ts";
import { hsToken, newSecret } from "../helpers/tokens.ts";

describe("publishing as a user over HTTP", () => {
  test("a key with publish_as_user posts under the user's name, held for that user id as a signed-in name is", async () => {
    const secret = newSecret();
    const parley = await startTestParley({ adminToken: ADMIN_TOKEN, authSecret: secret });
    const { port } = parley;
    const json = await connectJson(`ws://127.0.0.1:${parley.wsPort}/chat/support`);
    const text = await connect(`ws://127.0.0.1:${parley.wsPort}/chat/support`);
    try {
      await json.untilJoined("support");
      const asUser = (await createKey(port, { name: "app", rooms: ["support"], rights: ["publish_as_user"] })).secret;
      const botOnly = (await createKey(port, { name: "ci", rooms: ["support"], rights: ["publish"] })).secret;
      const post = (key: string, body: unknown, room = "support") =>
        call(port, "POST", `/api/v1/rooms/${room}/messages`, { auth: key, body });

      const posted = await post(asUser, { text: "my order is late", user: { id: "u-42", name: "Alice" } });
      assert.equal(posted.status, 201, JSON.stringify(posted.body));
      assert.equal(posted.body.message.nick, "Alice");
      const seen = await json.expect(ofType("message", { text: "my order is late" }));
      assert.equal(seen.nick, "Alice");
      await text.nextMatching((line) => line === "Alice: my order is late");

      // The same user again: fine. Another user id with that name, or a lookalike of it: refused.
      assert.equal((await post(asUser, { text: "hello?", user: { id: "u-42", name: "Alice" } })).status, 201);
      const taken = await post(asUser, { text: "me too", user: { id: "u-7", name: "aIice" } });
      assert.equal(taken.status, 409);
      assert.equal(taken.body.code, "nick_taken");
      assert.equal(taken.headers.get("content-type"), "application/problem+json");
      const bot = await post(asUser, { text: "x", user: { id: "u-8", name: "bot:ci" } });
      assert.deepEqual([bot.status, bot.body.code], [400, "bad_nick"]);
      const invisible = await post(asUser, { text: "x", user: { id: "u-9", name: "Bob\u200b" } });
      assert.deepEqual([invisible.status, invisible.body.code], [400, "bad_nick"]);
      // The right is needed, and the room must be the key's.
      const noRight = await post(botOnly, { text: "x", user: { id: "u-42", name: "Alice" } });
      assert.deepEqual([noRight.status, noRight.body.code], [403, "forbidden"]);
      const otherRoom = await post(asUser, { text: "x", user: { id: "u-42", name: "Alice" } }, "lobby");
      assert.equal(otherRoom.status, 403);
      assert.equal((await post(asUser, { text: "x" })).status, 403, "publish_as_user is not publish as the bot");

      // The name is Alice's as a signed-in user: u-42 gets it on a socket, another user does not.
      const alice = await connectJson(
        `ws://127.0.0.1:${parley.wsPort}/chat/support`,
        await hsToken(secret, { sub: "u-42", name: "Alice" }),
      );
      const welcomed = await alice.expect(ofType("welcome"));
      assert.equal(welcomed.nick, "Alice");
      await alice.close();
      const other = await connectJson(
        `ws://127.0.0.1:${parley.wsPort}/chat/support`,
        await hsToken(secret, { sub: "u-7", name: "Alice" }),
      );
      assert.notEqual((await other.expect(ofType("welcome"))).nick, "Alice");
      await other.close();
    } finally {
      await json.close();
      await text.close();
      await parley.close();
    }
  });
});
