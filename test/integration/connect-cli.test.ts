import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import type { RunningParley } from "../../src/server.ts";
import { type Child, RUN_SOURCES, runNode } from "../helpers/lines.ts";
import { startTestParley, tempDir } from "../helpers/parley.ts";
import { nextEvent, recordRoom, sdkClient } from "../helpers/sdk.ts";
import { hsToken, newSecret } from "../helpers/tokens.ts";

const parleyBin = (args: string[]): Child => runNode([...RUN_SOURCES, "bin/parley.js", ...args]);

describe("parley connect: the terminal client, driven through stdin and stdout", () => {
  const cleanup: Array<() => unknown> = [];
  after(async () => {
    for (const step of cleanup.reverse()) await step();
  });

  test("history on join, both ways, /nick, and through a server restart: offline input sent once", async () => {
    const dataDir = tempDir();
    let parley: RunningParley = await startTestParley({ dataDir });
    cleanup.push(() => parley.close());
    const { port, wsPort } = parley;
    const url = `ws://127.0.0.1:${port}/chat`;
    const peer = sdkClient(url, { nick: "peer" });
    cleanup.push(() => peer.close());
    const room = peer.join("term");
    const seen = recordRoom(room);
    await nextEvent(room, "joined");
    await room.send("earlier one");
    await room.send("earlier two");

    const cli = parleyBin(["connect", `${url}/term`, "--nick", "termie"]);
    cleanup.push(() => cli.proc.kill());
    await cli.line("stdout", /^\[\d\d:\d\d\] peer: earlier two$/);
    assert.match(cli.stdout[0] ?? "", /^\[\d\d:\d\d\] peer: earlier one$/, "history first, in order");
    await cli.line("stderr", /^\* you are termie$/);

    cli.write("hello from the terminal");
    await seen.waitForSeq(3);
    assert.deepEqual(seen.messages.map((m) => [m.nick, m.text]).at(-1), ["termie", "hello from the terminal"]);
    await room.send("hello back");
    await cli.line("stdout", /^\[\d\d:\d\d\] peer: hello back$/);

    cli.write("/nick renamed");
    const renamed = await nextEvent(room, "presence", (p) => p.action === "nick");
    assert.deepEqual([renamed.from, renamed.nick], ["termie", "renamed"]);

    await parley.close();
    await cli.line("stderr", /^\* connection lost \(1001/);
    cli.write("typed while the server was down");
    parley = await startTestParley({ dataDir, port, wsPort });
    await cli.line("stderr", /^\* connected to ws:/, 2);
    await seen.waitForSeq(5);
    await room.send("after the restart");
    await cli.line("stdout", /peer: after the restart$/);
    const offline = seen.messages.filter((m) => m.text === "typed while the server was down");
    assert.equal(offline.length, 1, "sent once");
    assert.equal(offline[0]?.nick, "renamed", "under the nickname it had");
    assert.equal(cli.stdout.filter((l) => l.endsWith("peer: hello back")).length, 1, "nothing shown twice");

    assert.ok(!cli.stderr.some((l) => /^\* you are user-/.test(l)), "no interim server-given name shown");
    cli.end();
    assert.equal(await cli.exited, 0);
  });

  test("--json: one JSON event per line; input piped in is delivered before it exits", async () => {
    const parley = await startTestParley();
    cleanup.push(() => parley.close());
    const cli = parleyBin(["connect", `ws://127.0.0.1:${parley.port}/chat/piped`, "--json"]);
    cleanup.push(() => cli.proc.kill());
    cli.write("first");
    cli.write("second");
    cli.end();
    assert.equal(await cli.exited, 0);
    const events = cli.stdout.filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    const acks = events.filter((e) => e.event === "ack");
    assert.deepEqual(
      acks.map((a) => [a.room, a.seq, a.duplicate]),
      [
        ["piped", 1, false],
        ["piped", 2, false],
      ],
    );
    assert.ok(events.some((e) => e.event === "joined" && e.room === "piped"));
    assert.ok(events.some((e) => e.event === "state" && e.state === "connected"));
    const messages = events.filter((e) => e.event === "message").map((e) => e.text);
    assert.deepEqual(messages, ["first", "second"]);
  });

  test("--text speaks the Cookbook's protocol to the Cookbook port", async () => {
    const parley = await startTestParley();
    cleanup.push(() => parley.close());
    const cli = parleyBin(["connect", `ws://127.0.0.1:${parley.wsPort}/`, "--text"]);
    cleanup.push(() => cli.proc.kill());
    await cli.line("stderr", /Cookbook text mode/);
    cli.write("plain hello");
    const echoed = await cli.line("stdout", /: plain hello$/);
    assert.match(echoed, /^user-\d+: plain hello$/);
    cli.end();
    assert.equal(await cli.exited, 0);
  });

  test("piped input: history, then the echo of each line, then exit 0 (JSON and --text); an unknown /command is said", async () => {
    const parley = await startTestParley();
    cleanup.push(() => parley.close());
    const peer = sdkClient(`ws://127.0.0.1:${parley.port}/chat`, { nick: "peer" });
    cleanup.push(() => peer.close());
    const room = peer.join("pipe");
    await nextEvent(room, "joined");
    await room.send("before you came");

    // Nothing piped in (`</dev/null`): still the history before it exits.
    const quiet = parleyBin(["connect", `ws://127.0.0.1:${parley.port}/chat/pipe`]);
    cleanup.push(() => quiet.proc.kill());
    quiet.end();
    assert.equal(await quiet.exited, 0);
    assert.match(quiet.stdout[0] ?? "", /^\[\d\d:\d\d\] peer: before you came$/);

    // Ended at once, as `echo hi | parley connect` does: nothing may be lost to an early exit.
    const cli = parleyBin(["connect", `ws://127.0.0.1:${parley.port}/chat/pipe`, "--nick", "ci"]);
    cleanup.push(() => cli.proc.kill());
    cli.write("/foo bar");
    cli.write("hi");
    cli.end();
    assert.equal(await cli.exited, 0);
    assert.deepEqual(
      cli.stdout.filter(Boolean).map((l) => l.replace(/^\[\d\d:\d\d\] /, "")),
      ["peer: before you came", "ci: hi"],
      "the history, then the echo of hi, once",
    );
    assert.ok(
      cli.stderr.some((l) => /^! unknown command \/foo; try \/nick NAME, \/join ROOM/.test(l)),
      cli.stderr.join("\n"),
    );
    assert.ok(!cli.stdout.some((l) => l.includes("/foo")), "not said in the room");

    const text = parleyBin(["connect", `ws://127.0.0.1:${parley.wsPort}/`, "--text"]);
    cleanup.push(() => text.proc.kill());
    text.write("hi over text");
    text.end();
    assert.equal(await text.exited, 0);
    assert.ok(
      text.stdout.some((l) => /^user-\d+: hi over text$/.test(l)),
      text.stdout.join("\n"),
    );
  });

  test("input ended but the server never answers: it gives up after 5 s, says so, exits 1", async () => {
    const parley = await startTestParley();
    const { port } = parley;
    await parley.close(); // nothing listens there now
    const cli = parleyBin(["connect", `ws://127.0.0.1:${port}/chat/gone`]);
    cleanup.push(() => cli.proc.kill());
    cli.write("never delivered");
    cli.end();
    // The clock starts when the client is up and trying (its start-up is slow on a loaded machine).
    await cli.line("stderr", /^\* connection lost \(1006\); reconnecting in /);
    const started = Date.now();
    assert.equal(await cli.exited, 1);
    assert.ok(Date.now() - started < 8000, `gave up ${Date.now() - started} ms after its first try (5 s and a margin)`);
    assert.ok(
      cli.stderr.some((l) =>
        /^! gave up after 5 s waiting for the history and the echo .*; 1 line\(s\) not delivered$/.test(l),
      ),
    );
  });

  test("--token signs in (JSON and --text); a refused token is said and ends the client", async () => {
    const secret = newSecret();
    const parley = await startTestParley({ authSecret: secret, auth: "required" });
    cleanup.push(() => parley.close());
    const token = await hsToken(secret, { sub: "u-dana", name: "dana" });
    const json = parleyBin(["connect", `ws://127.0.0.1:${parley.port}/chat/signed`, "--token", token]);
    cleanup.push(() => json.proc.kill());
    await json.line("stderr", /^\* signed in as dana$/);
    await json.line("stderr", /^\* in #signed$/);
    json.write("hello as dana");
    await json.line("stdout", /^\[\d\d:\d\d\] dana: hello as dana$/);
    json.end();
    assert.equal(await json.exited, 0);

    const text = parleyBin(["connect", `ws://127.0.0.1:${parley.wsPort}/chat/signed`, "--text", "--token", token]);
    cleanup.push(() => text.proc.kill());
    await text.line("stderr", /Cookbook text mode/);
    text.write("plain dana");
    await text.line("stdout", /^dana: plain dana$/);
    text.end();
    assert.equal(await text.exited, 0);

    const forged = parleyBin(["connect", `ws://127.0.0.1:${parley.port}/chat/signed`, "--token", `${token}x`]);
    cleanup.push(() => forged.proc.kill());
    await forged.line("stderr", /^! signed out: .*401/);
    assert.equal(await forged.exited, 1);
  });
});
