import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { RunningParley } from "../../src/server.ts";
import { clusterFixture, waitUntil } from "../helpers/cluster.ts";
import { postgresMissing, redisMissing, skipReason } from "../helpers/engines.ts";
import { connectJson, ofType } from "../helpers/json.ts";
import { captureLogs } from "../helpers/logs.ts";
import { startTestParley, tempDir } from "../helpers/parley.ts";
import { hsToken, newSecret } from "../helpers/tokens.ts";

/** `--private-rooms` given to one node only: the shared stored set decides on every node. */
describe("cluster: --private-rooms on one node is the rule on all", async () => {
  const reason = await skipReason(postgresMissing, redisMissing);
  const secret = newSecret();
  // Node B: started first, without the flag.
  const { nodes, track, settings } = clusterFixture(1, reason, { authSecret: secret });
  const url = (node: RunningParley, room: string) => `ws://127.0.0.1:${node.port}/chat/${room}`;

  test("node A starts with --private-rooms secret: an anonymous client on node B cannot read secret", {
    skip: reason,
  }, async () => {
    const b = nodes[0] as RunningParley;
    // Before A exists, secret is an ordinary room on B.
    const early = track(await connectJson(url(b, "secret")));
    await early.untilJoined("secret");
    early.send({ type: "send", text: "said while public", cid: "p1" });
    await early.expect(ofType("ack", { cid: "p1" }));

    const a = track(await startTestParley({ ...settings(), dataDir: tempDir(), privateRooms: "secret" }));
    // B heard of it at once: the anonymous member is put out, and no one anonymous gets back in.
    assert.equal((await early.expect(ofType("error", { room: "secret" }))).code, "forbidden");
    await early.expect(ofType("left", { room: "secret" }));
    const anonymous = track(await connectJson(url(b, "lobby")));
    await anonymous.untilJoined("lobby");
    for (const frame of [
      { type: "join", room: "secret" },
      { type: "join", room: "secret", since: 0 },
      { type: "who", room: "secret" },
    ]) {
      anonymous.send(frame);
      assert.equal((await anonymous.expect(ofType("error", { room: "secret" }))).code, "forbidden");
    }
    // A member granted the room still reads it on B.
    const insider = track(
      await connectJson(url(b, "secret"), await hsToken(secret, { sub: "u-in", name: "insider", rooms: ["secret"] })),
    );
    const joined = await insider.untilJoined("secret");
    assert.ok(joined.history.some((e) => JSON.stringify(e).includes("said while public")));
    assert.deepEqual(a.service.userAccess.privateRooms(), ["secret"]);
  });

  test("a node started later, without the flag or with another one, follows the stored set and says so", {
    skip: reason,
  }, async () => {
    const logs = captureLogs();
    const c = track(
      await startTestParley(
        { ...settings(), dataDir: tempDir(), privateRooms: "other", logLevel: "info" },
        { logStream: logs.stream },
      ),
    );
    assert.deepEqual(c.service.userAccess.privateRooms(), ["other", "secret"]);
    const warning = logs.lines().find((l) => l.event === "private_rooms");
    assert.ok(warning, "a line about the private rooms at start");
    assert.equal(warning.level, 40, "a warning");
    assert.match(warning.msg, /stored private but not in --private-rooms: secret/);
    // `other`, seeded by C, reached B too.
    const onB = () => (nodes[0] as RunningParley).service.userAccess.privateRooms().join();
    await waitUntil(() => onB() === "other,secret", "node B knows both private rooms", 3000);
    const anonymous = track(await connectJson(url(c, "lobby")));
    await anonymous.untilJoined("lobby");
    anonymous.send({ type: "join", room: "secret" });
    assert.equal((await anonymous.expect(ofType("error", { room: "secret" }))).code, "forbidden");
  });
});
