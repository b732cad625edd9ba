import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { type Child, RUN_SOURCES, runNode } from "../helpers/lines.ts";
import { startTestParley } from "../helpers/parley.ts";
import { nextEvent, sdkClient } from "../helpers/sdk.ts";
import { hsToken, newSecret } from "../helpers/tokens.ts";

const parleyBin = (args: string[]): Child => runNode([...RUN_SOURCES, "bin/parley.js", ...args]);

/** What an app shows of a room: each kept message's state, by seq. */
const shown = (messages: ReadonlyArray<{ seq: number; text: string; deleted?: true; reactions?: unknown }>) =>
  messages.map((m) => [m.seq, m.text, m.deleted ?? false, JSON.stringify(m.reactions ?? [])]);

describe("SDK and terminal: edit, delete, react, reply, mention", () => {
  const cleanup: Array<() => unknown> = [];
  after(async () => {
    for (const step of cleanup.reverse()) await step();
  });

  test("the SDK keeps each message's current state, also for a client that was away", async () => {
    const parley = await startTestParley();
    cleanup.push(() => parley.close());
    const url = `ws://127.0.0.1:${parley.port}/chat`;
    const writer = sdkClient(url, { nick: "writer" });
    const stayer = sdkClient(url, { nick: "stayer" });
    const away = sdkClient(url, { nick: "away" });
    cleanup.push(
      () => writer.close(),
      () => stayer.close(),
      () => away.close(),
    );
    const [w, s, a] = [writer.join("sdk-conv"), stayer.join("sdk-conv"), away.join("sdk-conv")];
    await Promise.all([nextEvent(w, "joined"), nextEvent(s, "joined"), nextEvent(a, "joined")]);
    const first = await w.send("frist");
    const second = await w.send("second");
    const edited = nextEvent(s, "update", (u) => u.kind === "edit");
    await w.edit(first.seq, "first");
    assert.equal((await edited).message.text, "first");
    assert.equal(s.message(first.seq)?.text, "first", "room.message(seq) is the current state");
    await nextEvent(a, "update", (u) => u.kind === "edit");

    // `away` goes while the others change things; a client comes back from its position (`since`).
    await away.close();
    const reply = await w.reply(second.seq, "a reply");
    await s.react(first.seq, "👍");
    await w.delete(second.seq);
    await nextEvent(s, "update", (u) => u.kind === "delete");
    assert.equal(s.message(reply.seq)?.replyTo, second.seq);

    const back = sdkClient(url, { nick: "away2" });
    cleanup.push(() => back.close());
    const b = back.join("sdk-conv", { since: a.lastSeq as number });
    await nextEvent(b, "joined");
    // `back` started from `away`'s position: it has only what it was sent since; the rest must match `stayer`.
    for (const seq of [first.seq, second.seq, reply.seq]) {
      const mine = b.message(seq);
      if (mine) assert.deepEqual(shown([mine]), shown([s.message(seq) as NonNullable<ReturnType<typeof s.message>>]));
    }
    const fresh = sdkClient(url, { nick: "fresh" });
    cleanup.push(() => fresh.close());
    const f = fresh.join("sdk-conv");
    await nextEvent(f, "joined");
    assert.deepEqual(shown(f.messages), shown(s.messages), "a fresh client shows what one that stayed shows");
    assert.deepEqual(shown(s.messages), [
      [1, "first", false, JSON.stringify([{ emoji: "👍", nicks: ["stayer"] }])],
      [2, "", true, "[]"],
      [4, "a reply", false, "[]"],
    ]);

    const refused = await s.edit(first.seq, "not mine").catch((e: Error & { code?: string }) => e.code);
    assert.equal(refused, "forbidden");
  });

  test("a signed-in user hears mention on the client, from any room", async () => {
    const secret = newSecret();
    const parley = await startTestParley({ authSecret: secret });
    cleanup.push(() => parley.close());
    const url = `ws://127.0.0.1:${parley.port}/chat`;
    const token = await hsToken(secret, { sub: "u-m", name: "mona" });
    const mona = sdkClient(url, { getToken: async () => token });
    const other = sdkClient(url, { nick: "caller" });
    cleanup.push(
      () => mona.close(),
      () => other.close(),
    );
    await nextEvent(mona.join("mona-room"), "joined");
    const there = other.join("elsewhere");
    await nextEvent(there, "joined");
    const heard = nextEvent(mona, "mention");
    const sent = await there.send("@mona can you look?");
    const mention = await heard;
    assert.deepEqual([mention.room, mention.seq, mention.nick], ["elsewhere", sent.seq, "caller"]);
  });

  test("parley connect: /edit, /react, /reply, /delete in their simple form", async () => {
    const parley = await startTestParley();
    cleanup.push(() => parley.close());
    const url = `ws://127.0.0.1:${parley.port}/chat`;
    const peer = sdkClient(url, { nick: "peer" });
    cleanup.push(() => peer.close());
    const room = peer.join("term-conv");
    await nextEvent(room, "joined");
    const cli = parleyBin(["connect", `${url}/term-conv`, "--nick", "termie"]);
    cleanup.push(() => cli.proc.kill());
    await cli.line("stderr", /^\* in #term-conv$/);
    cli.write("helo");
    await cli.line("stdout", /termie: helo$/);
    cli.write("/edit hello");
    const edit = await nextEvent(room, "update", (u) => u.kind === "edit");
    assert.equal(edit.message.text, "hello");
    await cli.line("stdout", /^\* termie edited: hello$/);
    await room.send("question?");
    await cli.line("stdout", /peer: question\?$/);
    cli.write("/react 👍");
    const react = await nextEvent(room, "update", (u) => u.kind === "react");
    assert.deepEqual([react.message.text, react.emoji, react.on], ["question?", "👍", true]);
    cli.write("/reply answer");
    const answer = await nextEvent(room, "message", (m) => m.text === "answer");
    assert.equal(answer.replyTo, react.message.seq);
    await cli.line("stdout", /termie ↪ peer: answer$/);
    cli.write("/delete");
    const del = await nextEvent(room, "update", (u) => u.kind === "delete");
    assert.equal(del.message.seq, answer.seq, "the last message of mine");
    cli.write("/react");
    await cli.line("stderr", /^! \/react needs an EMOJI$/);
    cli.end();
    assert.equal(await cli.exited, 0);
  });
});
