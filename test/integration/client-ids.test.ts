import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { RunningParley } from "../../src/server.ts";
import { createTestDatabase, postgresMissing, skipReason, type TestDatabase } from "../helpers/engines.ts";
import { connectJson, type Event, ofType } from "../helpers/json.ts";
import { startTestParley } from "../helpers/parley.ts";
import { parsePrometheus, sampleValue } from "../helpers/prometheus.ts";

const errorsSent = async (port: number, code: string): Promise<number> => {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return sampleValue(parsePrometheus(text), "parley_errors_sent_total", { code });
};

/** What a sender and a watcher see of client ids, the same on every store. */
const clientIds = (
  name: string,
  store: () => Promise<{ store: string; drop(): Promise<void> }>,
  skip?: () => Promise<string | false>,
) =>
  describe(`client ids over real sockets: ${name}`, async () => {
    const reason = (await skip?.()) ?? false;
    let parley: RunningParley;
    let drop = async () => {};
    before(async () => {
      if (reason) return;
      const engine = await store();
      drop = engine.drop;
      parley = await startTestParley({ store: engine.store });
    });
    after(async () => {
      if (reason) return;
      await parley.close();
      await drop();
    });

    test("an empty cid is refused with bad_request and nothing is stored", { skip: reason }, async () => {
      const sender = await connectJson(`ws://127.0.0.1:${parley.wsPort}/chat/empty-cid`);
      await sender.untilJoined("empty-cid");
      for (const text of ["first", "second"]) {
        sender.send({ type: "send", text, cid: "" });
        const refused = await sender.expect((e) => e.type === "error" || e.type === "ack");
        assert.equal(refused.type, "error");
        assert.equal(refused.code, "bad_request");
        assert.equal(refused.cid, "", "the refusal names the cid it refuses");
        assert.match(String(refused.message), /cid/);
      }
      sender.send({ type: "send", text: "without a cid" });
      assert.equal((await sender.expect(ofType("ack"))).seq, 1, "neither refused send took a seq");
      await sender.close();
    });

    test("a cid resent with another text gets cid_conflict; the exact repeat still gets the first ack", {
      skip: reason,
    }, async () => {
      const base = `ws://127.0.0.1:${parley.wsPort}/chat/reuse`;
      const sender = await connectJson(base);
      const watcher = await connectJson(base);
      await sender.untilJoined("reuse");
      await watcher.untilJoined("reuse");
      const conflictsBefore = await errorsSent(parley.port, "cid_conflict");

      sender.send({ type: "send", text: "pay alice 10", cid: "k-1" });
      const first = await sender.expect(ofType("ack", { cid: "k-1" }));
      sender.send({ type: "send", text: "pay alice 1000", cid: "k-1" });
      const conflict = await sender.expect((e) => e.cid === "k-1");
      assert.deepEqual([conflict.type, conflict.code, conflict.room], ["error", "cid_conflict", "reuse"]);
      assert.match(String(conflict.message), /seq 1/);
      sender.send({ type: "send", text: "pay alice 10", cid: "k-1" });
      const repeat = await sender.expect((e) => e.cid === "k-1");
      assert.deepEqual(
        [repeat.type, repeat.seq, repeat.id, repeat.duplicate],
        ["ack", first.seq, first.id, true],
        "the exact repeat is acked as the first",
      );
      // The same cid in another room is another message there (a cid is unique per room).
      sender.send({ type: "join", room: "reuse-2" });
      await sender.untilJoined("reuse-2");
      sender.send({ type: "send", room: "reuse-2", text: "pay alice 1000", cid: "k-1" });
      const elsewhere = await sender.expect((e) => e.cid === "k-1");
      assert.deepEqual([elsewhere.type, elsewhere.room, elsewhere.duplicate], ["ack", "reuse-2", false]);

      sender.send({ type: "send", text: "end", cid: "k-2" });
      const seen: Event[] = [];
      while (seen.at(-1)?.text !== "end") seen.push(await watcher.expect(ofType("message")));
      assert.deepEqual(
        seen.map((m) => [m.seq, m.text]),
        [
          [1, "pay alice 10"],
          [2, "end"],
        ],
        "the watcher saw the first text once and never the conflicting one",
      );
      assert.equal(await errorsSent(parley.port, "cid_conflict"), conflictsBefore + 1, "the refusal is counted");
      await sender.close();
      await watcher.close();
    });
  });

clientIds("memory", async () => ({ store: "memory", drop: async () => {} }));
clientIds("SQLite", async () => ({ store: "sqlite", drop: async () => {} }));
clientIds(
  "PostgreSQL",
  async () => {
    const database: TestDatabase = await createTestDatabase();
    return { store: database.url, drop: () => database.drop() };
  },
  () => skipReason(postgresMissing),
);
