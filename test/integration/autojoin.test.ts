import assert from "node:assert/strict";
import { test } from "node:test";
import { connect } from "../helpers/client.ts";
import { connectJson, ofType } from "../helpers/json.ts";
import { startTestParley } from "../helpers/parley.ts";

test("?autojoin=0: a JSON client joins no room until it asks; a Cookbook client ignores the flag", async () => {
  const parley = await startTestParley();
  const base = `ws://127.0.0.1:${parley.wsPort}`;
  try {
    const json = await connectJson(`${base}/chat/quiet?autojoin=0`);
    const welcome = await json.expect(ofType("welcome"));
    assert.deepEqual(welcome.rooms, []);
    json.send({ type: "who", room: "quiet" });
    assert.deepEqual((await json.expect(ofType("presence"))).members, [], "not in the path's room");
    json.send({ type: "join", room: "quiet" });
    const { joined } = await json.untilJoined("quiet");
    assert.equal(joined.lastSeq, 0);

    const text = await connect(`${base}/chat/quiet?autojoin=0`);
    const arrived = await json.expect(ofType("presence", { action: "join" }));
    assert.match(String(arrived.nick), /^user-\d+$/, "the Cookbook client is in the room all the same");
    text.send("still the Cookbook");
    assert.equal(await text.next(), `${arrived.nick}: still the Cookbook`);
    await text.close();
    await json.close();
  } finally {
    await parley.close();
  }
});
