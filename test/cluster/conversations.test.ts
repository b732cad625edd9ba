import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { RunningParley } from "../../src/server.ts";
import { clusterFixture } from "../helpers/cluster.ts";
import { postgresMissing, redisMissing, skipReason } from "../helpers/engines.ts";
import { connectJson, historyMessages, ofType } from "../helpers/json.ts";
import { hsToken, newSecret } from "../helpers/tokens.ts";

/** Two in-process nodes on the shared Redis and PostgreSQL: conversations hold across them. */
describe("cluster: edit, delete, react and mentions across nodes", async () => {
  const reason = await skipReason(postgresMissing, redisMissing);
  const secret = newSecret();
  const { nodes, track } = clusterFixture(2, reason, { authSecret: secret, privateRooms: "crypt" });
  const url = (node: number, room: string, query = "") =>
    `ws://127.0.0.1:${(nodes[node] as RunningParley).port}/chat/${room}${query}`;
  const open = async (node: number, room: string, token?: string, query = "") =>
    track(await connectJson(url(node, room, query), token));
  const token = (sub: string, name: string, rooms: string[] = []) => hsToken(secret, { sub, name, rooms });

  test("a user's message is theirs on every node; others are refused on every node; everyone sees the changes", {
    skip: reason,
  }, async () => {
    const room = "c-edit";
    const ana = await token("u-ana", "ana");
    const onA = await open(0, room, ana);
    await onA.untilJoined(room);
    const watcher = await open(1, room);
    await watcher.untilJoined(room);
    onA.send({ type: "send", text: "draft", cid: "m" });
    const { seq } = await onA.expect(ofType("ack", { cid: "m" }));
    const onB = await open(1, room, ana);
    await onB.untilJoined(room);
    onB.send({ type: "edit", room, seq, text: "final", cid: "e" });
    await onB.expect(ofType("ack", { cid: "e" }));
    const seen = await watcher.expect(ofType("edit"));
    assert.equal((seen.message as { text: string }).text, "final");
    const rival = await open(0, room, await token("u-rex", "rex"));
    await rival.untilJoined(room);
    rival.send({ type: "delete", room, seq, cid: "d" });
    assert.equal((await rival.expect(ofType("error", { cid: "d" }))).code, "forbidden");
    rival.send({ type: "react", room, seq, emoji: "👀", cid: "r" });
    await rival.expect(ofType("ack", { cid: "r" }));
    const reacted = await onB.expect(ofType("react"));
    assert.deepEqual((reacted.message as { reactions: unknown }).reactions, [{ emoji: "👀", nicks: ["rex"] }]);
    const late = await open(1, room);
    const page = historyMessages((await late.untilJoined(room)).history);
    assert.deepEqual(
      page.map((m) => [m.text, m.edited !== undefined]),
      [["final", true]],
    );
  });

  test("@name reaches the user on the other node; a private room's mention reaches no one its token does not admit", {
    skip: reason,
  }, async () => {
    const bo = await open(1, "c-home", await token("u-bo", "bo"));
    await bo.untilJoined("c-home");
    const caller = await open(0, "c-talk");
    await caller.untilJoined("c-talk");
    caller.send({ type: "send", text: "@bo ping", cid: "p" });
    const { seq } = await caller.expect(ofType("ack", { cid: "p" }));
    const heard = await bo.expect(ofType("mention"));
    assert.deepEqual([heard.room, heard.seq], ["c-talk", seq]);

    const insider = await open(0, "crypt", await token("u-in", "insider", ["crypt"]));
    await insider.untilJoined("crypt");
    insider.send({ type: "send", text: "@bo the secret is 42", cid: "s" });
    await insider.expect(ofType("ack", { cid: "s" }));
    insider.send({ type: "send", text: "@bo after", cid: "s2" });
    await insider.expect(ofType("ack", { cid: "s2" }));
    caller.send({ type: "send", text: "@bo marker", cid: "mk" });
    await caller.expect(ofType("ack", { cid: "mk" }));
    const next = await bo.expect(ofType("mention"));
    assert.equal(next.text, "@bo marker", "nothing of the private room came before the marker");
    // Not a member of the private room: its messages cannot be changed from outside.
    bo.send({ type: "edit", room: "crypt", seq: 1, text: "x", cid: "x" });
    assert.equal((await bo.expect(ofType("error", { cid: "x" }))).code, "not_in_room");
  });
});
