import assert from "node:assert/strict";
import { test } from "node:test";
import { runNode } from "../helpers/lines.ts";
import { startTestParley } from "../helpers/parley.ts";
import { nextEvent, sdkClient } from "../helpers/sdk.ts";

test("examples/ping-bot.ts (importing parley-client) answers !ping with pong on a real Parley", async () => {
  const parley = await startTestParley();
  const url = `ws://127.0.0.1:${parley.port}/chat`;
  const bot = runNode(["--import", "tsx", "examples/ping-bot.ts", url, "bots"]);
  const user = sdkClient(url, { nick: "human" });
  try {
    await bot.line("stdout", /^in #bots/);
    const room = user.join("bots");
    await nextEvent(room, "joined");
    const pong = nextEvent(room, "message", (m) => m.nick === "ping-bot");
    await room.send("!ping");
    const reply = await pong;
    assert.equal(reply.text, "pong");
    await room.send("not a ping");
    await room.send("!ping");
    const second = await nextEvent(room, "message", (m) => m.nick === "ping-bot");
    assert.equal(second.text, "pong");
    assert.equal(second.seq, reply.seq + 3, "one pong per !ping, nothing else");
  } finally {
    bot.proc.kill("SIGTERM");
    assert.equal(await bot.exited, 0);
    await user.close();
    await parley.close();
  }
});
