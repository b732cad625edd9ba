import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { ParleyServerError } from "parley-client";
import type { RunningParley } from "../../src/server.ts";
import { startTestParley } from "../helpers/parley.ts";
import { nextEvent, sdkClient, stateReached } from "../helpers/sdk.ts";

describe("SDK: client.search()", () => {
  let parley: RunningParley;
  before(async () => {
    parley = await startTestParley({});
  });
  after(() => parley.close());

  test("resolves with hits and their marked words, pages with next, rejects a bad query with its code", async () => {
    const client = sdkClient(`ws://127.0.0.1:${parley.port}/chat`);
    try {
      const room = client.join("garden");
      await nextEvent(room, "joined");
      for (const text of ["tomatoes are ripe", "Tomatoes again!", "the basil is fine"]) await room.send(text);
      const first = await client.search("tomatoes", { order: "newest", limit: 1 });
      assert.deepEqual(
        first.hits.map((h) => [h.text, h.text.slice(...(h.marks[0] ?? [0, 0]))]),
        [["Tomatoes again!", "Tomatoes"]],
      );
      assert.ok(first.next);
      const second = await client.search("tomatoes", { order: "newest", limit: 1, cursor: first.next });
      assert.deepEqual(
        second.hits.map((h) => h.text),
        ["tomatoes are ripe"],
      );
      assert.equal(second.next, null);
      const refused = await client.search("-everything").catch((error: unknown) => error);
      assert.ok(refused instanceof ParleyServerError);
      assert.equal(refused.code, "bad_request");
    } finally {
      await client.close();
    }
  });

  test("a closed client rejects a search at once", async () => {
    const client = sdkClient(`ws://127.0.0.1:${parley.port}/chat`);
    await stateReached(client, "connected");
    await client.close();
    await assert.rejects(client.search("anything"), /closed/);
  });
});
