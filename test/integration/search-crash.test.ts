import assert from "node:assert/strict";
import { test } from "node:test";
import { spawnParley } from "../helpers/child.ts";
import { connectJson, type Event, type JsonClient, ofType } from "../helpers/json.ts";
import { tempDir } from "../helpers/parley.ts";
import { hsToken, newSecret } from "../helpers/tokens.ts";

// The writer indexes new rows for search in batches, up to half a second after their ack. What
// that relies on: `rooms.indexed_seq` lets the next start index whatever a kill -9 left unindexed,
// and rows are indexed with their current text (an edit that came first is what is found).
test("kill -9 right after the acks: after restart a search finds every acked message, an edited one by its new text only", async () => {
  const dataDir = tempDir();
  const secret = newSecret();
  const args = ["--data-dir", dataDir, "--auth-secret", secret];
  const token = await hsToken(secret, { sub: "u-ann", name: "ann" });
  const first = await spawnParley(args);
  const sender = await connectJson(`ws://127.0.0.1:${first.wsPort}/chat/crash`, token);
  await sender.untilJoined("crash");
  const words = Array.from({ length: 40 }, (_, i) => `kumquat${i}`);
  const seqs: number[] = [];
  for (const [i, word] of words.entries()) {
    sender.send({ type: "send", text: `a ${word} here`, cid: `m${i}` });
  }
  for (const [i] of words.entries()) seqs.push((await sender.expect(ofType("ack", { cid: `m${i}` }))).seq as number);
  sender.send({ type: "edit", room: "crash", seq: seqs[0], text: "now a persimmon", cid: "e0" });
  const edit = await sender.expect((e) => e.cid === "e0");
  assert.equal(edit.type, "ack", JSON.stringify(edit));
  first.child.kill("SIGKILL"); // at once: well within the half second before the writer indexes them
  assert.equal(await first.exited, "SIGKILL");
  await sender.raw.closed;

  const second = await spawnParley(args);
  let reader: JsonClient | undefined;
  try {
    reader = await connectJson(`ws://127.0.0.1:${second.wsPort}/chat/crash`, token);
    await reader.untilJoined("crash");
    let n = 0;
    const search = async (query: string): Promise<string[]> => {
      const cid = `q${++n}`;
      reader?.send({ type: "search", cid, query, limit: 50 });
      const answer: Event = await (reader as JsonClient).expect((e) => e.cid === cid);
      assert.equal(answer.type, "search_results", JSON.stringify(answer));
      return (answer.hits as { text: string }[]).map((h) => h.text);
    };
    assert.deepEqual(await search("kumquat0"), [], "the edited message is not found by its old text");
    assert.deepEqual(await search("persimmon"), ["now a persimmon"]);
    for (const word of words.slice(1)) assert.deepEqual(await search(word), [`a ${word} here`], word);
  } finally {
    await reader?.close();
    second.child.kill("SIGKILL");
    await second.exited;
  }
});
