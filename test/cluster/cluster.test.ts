import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { RunningParley } from "../../src/server.ts";
import { connect } from "../helpers/client.ts";
import { clusterFixture, type JsonClient, joinedClient, jsonClient, range, waitUntil } from "../helpers/cluster.ts";
import { postgresMissing, redisMissing, skipReason } from "../helpers/engines.ts";

// Three nodes in this process on the shared Redis and PostgreSQL (own database, own key prefix).
describe("cluster: 3 nodes on Redis + PostgreSQL", async () => {
  const reason = await skipReason(postgresMissing, redisMissing);
  const { nodes, track } = clusterFixture(3, reason);
  const port = (i: number) => (nodes[i % nodes.length] as RunningParley).port;
  const open = async (i: number, room: string) => track(await joinedClient(port(i), room));

  test("10 senders, 1,000 messages: every client on every node logs seq 1..1000 in order", {
    skip: reason,
  }, async () => {
    const room = "main";
    const receivers = await Promise.all(range(0, 5).map((i) => open(i, room)));
    const senders = await Promise.all(range(0, 9).map((i) => open(i, room)));
    const acks = new Map<string, number>();
    await Promise.all(
      senders.map(async (sender, s) => {
        for (const n of range(1, 100)) sender.send({ type: "send", text: `s${s}-${n}`, cid: `s${s}-${n}` });
        for (const n of range(1, 100)) {
          const ack = await sender.take((e) => e.type === "ack" && e.cid === `s${s}-${n}`, 30_000);
          acks.set(`s${s}-${n}`, ack.seq as number);
        }
      }),
    );
    assert.deepEqual(
      [...acks.values()].sort((a, b) => a - b),
      range(1, 1000),
      "acks cover 1..1000 once",
    );
    const everyone = [...receivers, ...senders];
    await waitUntil(() => everyone.every((c) => c.seqs(room).length >= 1000), "every client has 1000 messages", 30_000);
    for (const [i, client] of everyone.entries()) {
      assert.deepEqual(
        client.seqs(room),
        range(1, 1000),
        `client ${i} (node ${i % 3}) logs 1..1000 exactly once, in order`,
      );
    }
    // what each client saw is what was acked: the same text at the same seq everywhere
    const texts = (c: JsonClient) =>
      c
        .events()
        .filter((e) => e.type === "message" && e.room === room)
        .map((e) => `${e.seq}:${e.text}`);
    const reference = texts(receivers[0] as JsonClient);
    for (const client of everyone) assert.deepEqual(texts(client), reference);
    for (const [cid, seq] of acks) assert.equal(reference[seq - 1], `${seq}:${cid}`);
  });

  test("resume across nodes: leave node A, reconnect to node B with since, get exactly the gap, then live", {
    skip: reason,
  }, async () => {
    const room = "resume";
    const sender = await open(2, room);
    const away = await open(0, room);
    for (const n of range(1, 5)) sender.send({ type: "send", text: `before-${n}`, cid: `b${n}` });
    await waitUntil(() => away.seqs(room).length === 5, "5 messages before leaving");
    const since = Math.max(...away.seqs(room));
    await away.close();
    for (const n of range(1, 20)) sender.send({ type: "send", text: `gap-${n}`, cid: `g${n}` });
    for (const n of range(1, 20)) await sender.take((e) => e.type === "ack" && e.cid === `g${n}`);

    const back = await jsonClient(port(1), "elsewhere");
    track(back);
    await back.take((e) => e.type === "joined" && e.room === "elsewhere");
    back.send({ type: "join", room, since });
    const joined = await back.take((e) => e.type === "joined" && e.room === room);
    const history = back
      .events()
      .filter((e) => e.type === "history" && e.room === room)
      .flatMap((e) => (e.messages as Array<{ seq: number; text: string }>).map((m) => m.seq));
    assert.deepEqual(history, range(since + 1, since + 20), "exactly the gap");
    assert.deepEqual(joined.resume, { since, complete: true, missed: 20 });
    // the same by URL (`?since=`), on the third node
    const byUrl = await jsonClient(port(2), `${room}?since=${since}`);
    track(byUrl);
    const joinedByUrl = await byUrl.take((e) => e.type === "joined" && e.room === room);
    assert.deepEqual(joinedByUrl.resume, { since, complete: true, missed: 20 });
    sender.send({ type: "send", text: "live", cid: "live-1" });
    for (const client of [back, byUrl]) {
      const live = await client.take((e) => e.type === "message" && e.room === room);
      assert.equal(live.seq, since + 21);
      assert.equal(live.text, "live");
    }
    assert.deepEqual(byUrl.seqs(room), [since + 21], "history came as history, live once");
  });

  test("a send repeated with the same cid on another node is one message", { skip: reason }, async () => {
    const room = "idem";
    const [onA, onB, watcher] = [await open(0, room), await open(1, room), await open(2, room)];
    onA.send({ type: "send", text: "once", cid: "same-cid" });
    const first = await onA.take((e) => e.type === "ack");
    onB.send({ type: "send", text: "once", cid: "same-cid" });
    const again = await onB.take((e) => e.type === "ack");
    assert.equal(first.duplicate, false);
    assert.equal(again.duplicate, true);
    assert.deepEqual([again.seq, again.id], [first.seq, first.id]);
    onB.send({ type: "send", text: "next", cid: "next-cid" });
    await watcher.take((e) => e.type === "message" && e.text === "next");
    assert.deepEqual(watcher.seqs(room), [1, 2], "the watcher saw the repeated send once");
  });

  test("who is the same from every node, and nicknames are unique across nodes", { skip: reason }, async () => {
    const room = "who";
    const members = [await open(0, room), await open(1, room), await open(2, room)];
    const [a, b, c] = members as [JsonClient, JsonClient, JsonClient];
    a.send({ type: "nick", nick: "Zed" });
    assert.equal((await a.take((e) => e.type === "nick")).nick, "Zed");
    b.send({ type: "nick", nick: "zed" });
    const refused = await b.take((e) => e.type === "error");
    assert.equal(refused.code, "nick_taken");
    await c.take((e) => e.type === "presence" && e.action === "nick" && e.nick === "Zed");

    const who = async (client: JsonClient) => {
      client.send({ type: "who", room });
      const snapshot = await client.take((e) => e.type === "presence" && e.action === "snapshot");
      return (snapshot.members as string[]).slice().sort();
    };
    const views = [await who(a), await who(b), await who(c)];
    assert.equal(views[0]?.length, 3);
    assert.ok(views[0]?.includes("Zed"));
    assert.deepEqual(views[1], views[0]);
    assert.deepEqual(views[2], views[0]);

    await a.close();
    await c.take((e) => e.type === "presence" && e.action === "leave" && e.nick === "Zed");
    b.send({ type: "nick", nick: "zed" });
    assert.equal(
      (await b.take((e) => e.type === "nick")).nick,
      "zed",
      "a leaving member frees its nickname everywhere",
    );
  });

  test("Cookbook text clients on different nodes chat, and hear each other leave", { skip: reason }, async () => {
    const [a, b] = [
      await connect(`ws://127.0.0.1:${(nodes[0] as RunningParley).wsPort}/`),
      await connect(`ws://127.0.0.1:${(nodes[1] as RunningParley).wsPort}/`),
    ];
    const probe = `hello-${Math.random()}`;
    // b may still be joining when a speaks: repeat until b hears it (text mode has no history)
    let heard = "";
    for (let i = 0; i < 50 && !heard; i++) {
      a.send(probe);
      heard = await b.nextMatching((f) => f.endsWith(`: ${probe}`), 200).catch(() => "");
    }
    assert.match(heard, /^user-\d+: hello-/);
    const nick = heard.slice(0, heard.indexOf(":"));
    await a.close();
    assert.equal(await b.nextMatching((f) => f.startsWith(" .... ")), ` .... ${nick} has left.`);
    await b.close();
  });
});
