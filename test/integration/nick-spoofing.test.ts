import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { RunningParley } from "../../src/server.ts";
import { connect } from "../helpers/client.ts";
import { connectJson, ofType } from "../helpers/json.ts";
import { startTestParley } from "../helpers/parley.ts";
import { parsePrometheus, sampleValue } from "../helpers/prometheus.ts";
import { hsToken, newSecret } from "../helpers/tokens.ts";

// The spoofs of issue 15, each as a client would type it.
const INVISIBLE = [
  ["alice\u200b", "U+200B"],
  ["al\u200bice", "U+200B"],
  ["alice\u202e", "U+202E"],
  ["\u200d", "U+200D"],
] as const;
const LOOKALIKES = ["\u0430lice", "ALICE", "aIice", "\uff41lice"]; // Cyrillic а, case, capital I for l, fullwidth a

describe("nicknames that cannot be faked", () => {
  const secret = newSecret();
  let parley: RunningParley;
  let base: string;
  before(async () => {
    parley = await startTestParley({ authSecret: secret });
    base = `ws://127.0.0.1:${parley.wsPort}`;
  });
  after(() => parley.close());

  test("JSON: invisible and bidi characters are bad_nick; lookalikes of a reserved name are nick_taken, present or away", async () => {
    const alice = await connectJson(`${base}/chat/spoof`, await hsToken(secret, { sub: "u-alice", name: "alice" }));
    assert.equal((await alice.expect(ofType("welcome"))).nick, "alice");
    const mallory = await connectJson(`${base}/chat/spoof`);
    await mallory.untilJoined("spoof");
    const before = await nickRequests(parley.port);
    const tryAll = async () => {
      for (const [nick, codePoint] of INVISIBLE) {
        mallory.send({ type: "nick", nick });
        const error = await mallory.expect(ofType("error"));
        assert.equal(error.code, "bad_nick", JSON.stringify(nick));
        assert.ok(String(error.message).includes(codePoint), String(error.message));
      }
      for (const nick of LOOKALIKES) {
        mallory.send({ type: "nick", nick });
        assert.equal((await mallory.expect(ofType("error"))).code, "nick_taken", nick);
      }
    };
    await tryAll();
    await alice.close();
    await mallory.expect(ofType("presence", { action: "leave", nick: "alice" }));
    await tryAll(); // reserved while she is away
    mallory.send({ type: "nick", nick: "\uff4d\uff41\uff4c" }); // fullwidth "mal": shown as NFKC
    assert.equal((await mallory.expect(ofType("nick"))).nick, "mal");
    const counted = await nickRequests(parley.port);
    assert.deepEqual(
      {
        bad_nick: counted.bad_nick - before.bad_nick,
        nick_taken: counted.nick_taken - before.nick_taken,
        changed: counted.changed - before.changed,
      },
      { bad_nick: 8, nick_taken: 8, changed: 1 },
      "every refusal is counted in /metrics",
    );
    await mallory.close();
  });

  test("text mode: the same refusals as ` .... error:` lines", async () => {
    const text = await connect(`${base}/chat/spoof-text`);
    text.send("/nick al\u200bice");
    assert.equal(await text.next(), " .... error: A nickname has no invisible or text-direction characters (U+200B).");
    text.send("/nick alice\u202e");
    assert.equal(await text.next(), " .... error: A nickname has no invisible or text-direction characters (U+202E).");
    text.send("/nick \u200d");
    assert.equal(await text.next(), " .... error: A nickname has no invisible or text-direction characters (U+200D).");
    text.send("/nick \u0430lice");
    assert.equal(await text.next(), " .... error: The nickname \u0430lice is reserved for a signed-in user.");
    text.send("/nick aIice");
    assert.equal(await text.next(), " .... error: The nickname aIice is reserved for a signed-in user.");
    await text.close();
  });

  test("an anonymous name is unique by look too: a Cyrillic lookalike of a connected nick is nick_taken", async () => {
    const bob = await connectJson(`${base}/chat/bob`);
    await bob.untilJoined("bob");
    bob.send({ type: "nick", nick: "bob" });
    await bob.expect(ofType("nick"));
    const text = await connect(`${base}/chat/bob`);
    text.send("/nick b\u043eb"); // Cyrillic о
    assert.equal(await text.next(), " .... error: The nickname b\u043eb is taken.");
    const json = await connectJson(`${base}/chat/bob`);
    await json.untilJoined("bob");
    json.send({ type: "nick", nick: "B0B" });
    assert.equal((await json.expect(ofType("error"))).code, "nick_taken");
    await Promise.all([bob.close(), text.close(), json.close()]);
  });

  test("a signed-in name belongs to its sub: another user with the same (or a lookalike) name gets name-2, even while the first is away", async () => {
    const first = await connectJson(`${base}/chat/own`, await hsToken(secret, { sub: "u-carol", name: "carol" }));
    assert.equal((await first.expect(ofType("welcome"))).nick, "carol");
    await first.close();
    const other = await connectJson(`${base}/chat/own`, await hsToken(secret, { sub: "u-impostor", name: "carol" }));
    assert.equal((await other.expect(ofType("welcome"))).nick, "carol-2");
    const lookalike = await connectJson(`${base}/chat/own`, await hsToken(secret, { sub: "u-c2", name: "c\u0430rol" }));
    assert.equal((await lookalike.expect(ofType("welcome"))).nick, "c\u0430rol-3");
    await Promise.all([other.close(), lookalike.close()]);
    const back = await connectJson(`${base}/chat/own`, await hsToken(secret, { sub: "u-carol", name: "carol" }));
    assert.equal((await back.expect(ofType("welcome"))).nick, "carol", "the first user keeps the name");
    const again = await connectJson(`${base}/chat/own`, await hsToken(secret, { sub: "u-impostor", name: "carol" }));
    assert.equal((await again.expect(ofType("welcome"))).nick, "carol-2", "and the second keeps theirs");
    await Promise.all([back.close(), again.close()]);
  });
});

const nickRequests = async (port: number): Promise<Record<"bad_nick" | "nick_taken" | "changed", number>> => {
  const families = parsePrometheus(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text());
  const count = (result: string) => sampleValue(families, "parley_nick_requests_total", { result });
  return { bad_nick: count("bad_nick"), nick_taken: count("nick_taken"), changed: count("changed") };
};
