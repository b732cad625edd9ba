import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { RunningParley } from "../../src/server.ts";
import { connect } from "../helpers/client.ts";
import { connectJson, ofType } from "../helpers/json.ts";
import { startTestParley } from "../helpers/parley.ts";
import { clientFrame, RawClient } from "../helpers/raw.ts";

describe("size limits", { timeout: 30_000 }, () => {
  let parley: RunningParley;
  before(async () => {
    parley = await startTestParley({ maxPayload: 1024 });
  });
  after(() => parley.close());

  test("a message over --max-message-bytes closes with 1009; one at the limit is delivered", async () => {
    const a = await connect(`ws://127.0.0.1:${parley.wsPort}/`);
    a.send("x".repeat(1024 - 1));
    assert.match(await a.next(), /^user-\d+: x{1023}$/);
    a.send("x".repeat(1025));
    assert.equal((await a.closed).code, 1009);
  });

  test("the close comes on the frame header, before the announced payload is buffered", async () => {
    const raw = await RawClient.open(parley.wsPort);
    assert.equal(raw.status, 101);
    // Announce 1 GiB and send only 100 bytes of it: the server must not wait for the rest.
    raw.write(clientFrame({ opcode: 0x1, payload: "y".repeat(100), announcedLength: 2 ** 30 }));
    assert.equal(await raw.closeCode(), 1009);
    await raw.ended$;
  });

  test("a fragmented message whose fragments add up past the limit closes with 1009", async () => {
    const raw = await RawClient.open(parley.wsPort);
    raw.write(clientFrame({ opcode: 0x1, payload: "a".repeat(600), fin: false }));
    raw.write(clientFrame({ opcode: 0x0, payload: "a".repeat(600), fin: true }));
    assert.equal(await raw.closeCode(), 1009);
    raw.destroy();
  });

  test("a message in endless empty fragments is closed (1008) instead of growing the server's memory", async () => {
    const raw = await RawClient.open(parley.wsPort);
    const empty = clientFrame({ opcode: 0x0, payload: "", fin: false });
    raw.write(Buffer.concat([clientFrame({ opcode: 0x1, payload: "a", fin: false }), ...Array(2000).fill(empty)]));
    assert.equal(await raw.closeCode(), 1008);
    raw.destroy();
  });

  test("nick and room names over their limits get an error event, not a close", async () => {
    const a = await connectJson(`ws://127.0.0.1:${parley.port}/chat`);
    await a.untilJoined("lobby");
    a.send({ type: "nick", nick: "n".repeat(33) });
    assert.equal((await a.expect(ofType("error"))).code, "bad_nick");
    a.send({ type: "join", room: "r".repeat(65) });
    const error = await a.expect(ofType("error"));
    assert.equal(error.code, "bad_room");
    a.send({ type: "nick", nick: "n".repeat(32) });
    assert.equal((await a.expect(ofType("nick"))).nick, "n".repeat(32));
    await a.close();
  });

  test("in text mode an over-long /nick gets a ` .... error:` line", async () => {
    const a = await connect(`ws://127.0.0.1:${parley.wsPort}/`);
    a.send(`/nick ${"n".repeat(33)}`);
    assert.match(await a.next(), /^ \.\.\.\. error: A nickname has 1 to 32 characters\.$/);
    await a.close();
  });

  test("a room name over the limit in the URL is refused with 400 at the handshake", async () => {
    const raw = await RawClient.open(parley.port, `/chat/${"r".repeat(65)}`);
    assert.equal(raw.status, 400);
    raw.destroy();
  });
});
