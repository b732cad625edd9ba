import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { RunningParley } from "../../src/server.ts";
import { clusterFixture } from "../helpers/cluster.ts";
import { postgresMissing, redisMissing, skipReason } from "../helpers/engines.ts";
import { pngOf, ticketFor, upload } from "../helpers/files.ts";
import { connectJson, ofType } from "../helpers/json.ts";
import { hsToken, newSecret } from "../helpers/tokens.ts";

/** Files in a cluster: stored as PostgreSQL large objects on node A, served by node B, to members only. */
describe("cluster: files on another node (PostgreSQL large objects)", async () => {
  const reason = await skipReason(postgresMissing, redisMissing);
  const secret = newSecret();
  const { nodes, track } = clusterFixture(2, reason, { authSecret: secret, privateRooms: "vault" });
  const url = (node: RunningParley, room: string) => `ws://127.0.0.1:${node.port}/chat/${room}`;

  test("uploaded on A, attached on A, downloaded (with its thumbnail) on B; the private room's only by members", {
    skip: reason,
  }, async () => {
    const [a, b] = nodes as [RunningParley, RunningParley];
    const member = await hsToken(secret, { sub: "u-in", name: "insider", rooms: ["vault"] });
    const stranger = await hsToken(secret, { sub: "u-out", name: "outsider" });
    const insider = track(await connectJson(url(a, "vault"), member));
    await insider.untilJoined("vault");

    const png = await pngOf(640, 480);
    // A ticket asked for on node A, used on node B: tickets live in the shared database.
    const { ticket } = await ticketFor(insider, "vault");
    const up = await upload(b.port, "vault", "secret.png", png, `Ticket ${ticket}`, "image/png");
    assert.equal(up.status, 201, JSON.stringify(up.body));
    insider.send({ type: "send", room: "vault", text: "plans", file: up.body.id, cid: "f1" });
    const { seq } = await insider.expect(ofType("ack", { cid: "f1" }));

    const base = `http://127.0.0.1:${b.port}/files/${up.body.id}`;
    assert.equal((await fetch(base)).status, 404, "anonymous, on B");
    assert.equal((await fetch(`${base}?token=${stranger}`)).status, 404, "not granted, on B");
    assert.equal((await fetch(`${base}/thumb?token=${stranger}`)).status, 404, "nor its thumbnail");
    const got = await fetch(`${base}?token=${member}`);
    assert.equal(got.status, 200);
    assert.deepEqual(Buffer.from(await got.arrayBuffer()), png);
    const thumb = await fetch(`${base}/thumb`, { headers: { Authorization: `Bearer ${member}` } });
    assert.equal(thumb.status, 200);
    assert.equal(thumb.headers.get("content-type"), "image/jpeg");

    // Deleted on A: A removes the row and the large object at once; B serves it no more.
    insider.send({ type: "delete", room: "vault", seq, cid: "d1" });
    await insider.expect(ofType("ack", { cid: "d1" }));
    const deadline = Date.now() + 5000;
    while ((await fetch(`${base}?token=${member}`)).status !== 404) {
      assert.ok(Date.now() < deadline, "the file is still served after its message was deleted");
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    // The row goes first, then the content (no row refers to it any more).
    for (;;) {
      const content = await b.files.service.read(up.body.sha256);
      content?.destroy(); // only whether it is there
      if (content === undefined) break;
      assert.ok(Date.now() < deadline, "the content is gone too");
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  });
});
