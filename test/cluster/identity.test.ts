import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { CLOSE } from "../../src/protocol/close-codes.ts";
import type { RunningParley } from "../../src/server.ts";
import { connect } from "../helpers/client.ts";
import { clusterFixture } from "../helpers/cluster.ts";
import { postgresMissing, redisMissing, skipReason } from "../helpers/engines.ts";
import { handshake } from "../helpers/handshake.ts";
import { connectJson, type Event, ofType } from "../helpers/json.ts";
import { startTestParley, tempDir } from "../helpers/parley.ts";
import { hsToken, newSecret } from "../helpers/tokens.ts";

const ADMIN = "admin-token-for-tests-0123456789";

/** Two in-process nodes on the shared Redis and PostgreSQL: identity must hold across them. */
describe("cluster: identity and access across nodes", async () => {
  const reason = await skipReason(postgresMissing, redisMissing);
  const secret = newSecret();
  const { nodes, track, settings } = clusterFixture(2, reason, {
    authSecret: secret,
    privateRooms: "vault",
    adminToken: ADMIN,
    typingIntervalMs: 50,
  });
  const url = (node: number, room: string, query = "") =>
    `ws://127.0.0.1:${(nodes[node] as RunningParley).port}/chat/${room}${query}`;
  const open = async (node: number, room: string, token?: string, query = "") =>
    track(await connectJson(url(node, room, query), token));
  const token = (sub: string, name: string, rooms: string[] = []) => hsToken(secret, { sub, name, rooms });

  test("a signed-in user's name is refused to anonymous clients on the other node, even after they left", {
    skip: reason,
  }, async () => {
    const alice = await open(0, "lobby", await token("u-alice", "Alice"));
    assert.equal((await alice.expect(ofType("welcome"))).nick, "Alice");
    await alice.untilJoined("lobby");
    const anon = await open(1, "lobby");
    await anon.untilJoined("lobby");
    anon.send({ type: "nick", nick: "alice" });
    assert.equal((await anon.expect(ofType("error"))).code, "nick_taken");
    await alice.close();
    anon.send({ type: "nick", nick: "ALICE" });
    assert.equal((await anon.expect(ofType("error"))).code, "nick_taken", "reserved while she is away");
    const text = await connect(url(1, "lobby"));
    text.send("/nick Alice");
    assert.match(await text.next(), /error: .*reserved/);
    await text.close();
  });

  test("one presence per person across nodes: joined with the first connection anywhere, left after the last", {
    skip: reason,
  }, async () => {
    const watcher = await open(1, "team");
    await watcher.untilJoined("team");
    const bobToken = await token("u-bob", "Bob");
    const tab1 = await open(0, "team", bobToken);
    await tab1.untilJoined("team");
    await watcher.expect(ofType("presence", { action: "join", nick: "Bob" }));
    const tab2 = await open(1, "team", bobToken);
    const snapshot = (await tab2.expect(ofType("presence", { action: "snapshot" }))).members as string[];
    assert.equal(snapshot.filter((n) => n === "Bob").length, 1, `once in ${JSON.stringify(snapshot)}`);
    await tab2.untilJoined("team");
    const tab3 = await open(0, "team", bobToken);
    await tab3.untilJoined("team");
    watcher.send({ type: "who", room: "team" });
    const who = (await watcher.expect(ofType("presence", { action: "snapshot" }))).members as string[];
    assert.deepEqual(
      who.filter((n) => n === "Bob"),
      ["Bob"],
    );
    await tab1.close();
    await tab2.close();
    // A sync point on the watcher's own message: no leave for Bob before it while tab3 stays.
    watcher.send({ type: "send", text: "sync-1", cid: "sync-1" });
    await watcher.expect(ofType("message", { text: "sync-1" }));
    const seen = watcher.raw.frames.map((f) => JSON.parse(f) as Event);
    assert.equal(seen.filter((e) => e.type === "presence" && e.nick === "Bob").length, 1, "one join, no leave yet");
    await tab3.close();
    await watcher.expect(ofType("presence", { action: "leave", nick: "Bob" }));
  });

  test("a non-member on the second node learns nothing of a private room: live, history, since, presence, who, typing", {
    skip: reason,
  }, async () => {
    const insiderToken = await token("u-in", "insider", ["vault"]);
    const insider = await open(0, "vault", insiderToken);
    await insider.untilJoined("vault");
    insider.send({ type: "send", text: "SECRET-c1", cid: "c1" });
    await insider.expect(ofType("ack", { cid: "c1" }));

    const outsiderToken = await token("u-out", "outsider");
    const outsider = await open(1, "lobby", outsiderToken);
    const anon = await open(1, "lobby");
    const text = await connect(url(1, "lobby"));
    await outsider.untilJoined("lobby");
    await anon.untilJoined("lobby");
    for (const probe of [outsider, anon]) {
      for (const frame of [
        { type: "join", room: "vault" },
        { type: "join", room: "vault", since: 0 },
        { type: "who", room: "vault" },
      ]) {
        probe.send(frame);
        assert.equal((await probe.expect(ofType("error"))).code, "forbidden", JSON.stringify(frame));
      }
      probe.send({ type: "history", room: "vault", before: 100 });
      assert.equal((await probe.expect(ofType("error"))).code, "not_in_room");
    }
    assert.equal((await handshake(`${url(1, "vault", "?since=0")}&token=${outsiderToken}`)).status, 403);
    assert.equal((await handshake(url(1, "vault", "?since=0"))).status, 401);
    // With ?autojoin=0 the URL's room is not asked about; the join is.
    const later = await open(1, "vault", outsiderToken, "?autojoin=0");
    await later.expect(ofType("welcome"));
    later.send({ type: "join", room: "vault", since: 0 });
    assert.equal((await later.expect(ofType("error", { room: "vault" }))).code, "forbidden");

    // The vault goes on: a member on the second node, live messages, typing, presence.
    const second = await open(1, "vault", await token("u-2nd", "seconder-y2", ["vault"]), "?since=0");
    const { history } = await second.untilJoined("vault");
    assert.ok(JSON.stringify(history).includes("SECRET-c1"), "a granted member on node 2 resumes the room");
    insider.send({ type: "send", text: "SECRET-c2", cid: "c2" });
    await second.expect(ofType("message", { text: "SECRET-c2" }));
    insider.send({ type: "typing" });
    await second.expect(ofType("typing", { nick: "insider" }));

    text.send("/who");
    assert.match(await text.next(), /^ \.\.\.\. in lobby: /);
    for (const [i, probe] of [outsider, anon].entries()) {
      probe.send({ type: "send", room: "lobby", text: `sync-${i}`, cid: `sync-${i}` });
    }
    await outsider.expect(ofType("message", { text: "sync-0" }));
    await anon.expect(ofType("message", { text: "sync-1" }));
    for (const [who, frames] of [
      ["outsider", outsider.raw.frames],
      ["anonymous", anon.raw.frames],
      ["autojoin=0", later.raw.frames],
      ["text", text.frames],
    ] as const) {
      for (const frame of frames) {
        assert.ok(!frame.includes("SECRET"), `${who} saw ${frame}`);
        assert.ok(!frame.includes("insider") && !frame.includes("seconder-y2"), `${who} saw a member: ${frame}`);
      }
    }
    await text.close();
  });

  test("made private through one node's admin API: the other node puts out who it does not admit; a new node knows", {
    skip: reason,
  }, async () => {
    const member = await open(1, "stage", await token("u-m", "member"));
    await member.untilJoined("stage");
    const text = await connect(url(1, "stage"));
    const response = await fetch(`http://127.0.0.1:${(nodes[0] as RunningParley).port}/admin/api/rooms/stage/private`, {
      method: "PUT",
      headers: { Authorization: `Bearer ${ADMIN}` },
    });
    assert.equal(response.status, 200);
    assert.equal((await member.expect(ofType("error", { room: "stage" }))).code, "forbidden");
    await member.expect(ofType("left", { room: "stage" }));
    assert.equal((await text.closed).code, CLOSE.kicked);
    assert.equal((await handshake(url(1, "stage"))).status, 401);
    const late = await startTestParley({ ...settings(), dataDir: tempDir() });
    try {
      const port = late.port;
      assert.equal((await handshake(`ws://127.0.0.1:${port}/chat/stage`)).status, 401, "from the shared store");
    } finally {
      await late.close();
    }
  });

  test("read positions: marked on one node, heard by the user's tab on the other; unread counts from PostgreSQL", {
    skip: reason,
  }, async () => {
    const poster = await open(0, "news", await token("u-p", "poster"));
    await poster.untilJoined("news");
    for (const n of [1, 2, 3]) poster.send({ type: "send", text: `n${n}`, cid: `n${n}` });
    await poster.expect(ofType("ack", { cid: "n3" }));
    const readerToken = await token("u-r", "reader");
    const tabA = await open(0, "news", readerToken);
    const tabB = await open(1, "news", readerToken);
    assert.equal((await tabA.untilJoined("news")).joined.unread, 3);
    await tabB.untilJoined("news");
    tabA.send({ type: "read", room: "news", seq: 2 });
    assert.deepEqual(
      await tabB.expect(ofType("read")),
      { type: "read", room: "news", seq: 2, unread: 1 },
      "the other node's tab hears it",
    );
    const again = await open(1, "lobby", readerToken);
    assert.deepEqual((await again.expect(ofType("welcome"))).unread, { news: 1 });
  });
});
