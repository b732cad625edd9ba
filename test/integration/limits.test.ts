import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import type { RunningParley } from "../../src/server.ts";
import { connect } from "../helpers/client.ts";
import { connectJson, type Event, historyMessages, ofType } from "../helpers/json.ts";
import { startTestParley } from "../helpers/parley.ts";
import { clientFrame, RawClient } from "../helpers/raw.ts";

/** A client in its own process that sends as fast as its socket takes, until told to stop on stdin. */
const FLOODER = `
import WebSocket from "ws";
const ws = new WebSocket(process.argv[1]);
let sent = 0, echoed = 0, stop = false;
ws.on("message", (d) => { if (/ flood \\d+$/.test(String(d))) echoed++; });
const tick = () => {
  if (stop) return;
  if (ws.bufferedAmount < 256 * 1024) for (let i = 0; i < 200; i++) ws.send("flood " + sent++);
  setTimeout(tick, 1);
};
ws.on("open", () => { process.stdout.write("open\\n"); tick(); });
process.stdin.on("data", () => {
  stop = true;
  setTimeout(() => { process.stdout.write(JSON.stringify({ sent, echoed }) + "\\n"); process.exit(0); }, 300);
});
`;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

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

describe("rate limit", { timeout: 30_000 }, () => {
  let parley: RunningParley;
  before(async () => {
    parley = await startTestParley({ rateLimit: 20, rateBurst: 40, rateStrikes: 100 });
  });
  after(() => parley.close());

  test("a burst past the bucket gets rate_limited errors (with the cid) and only the accepted messages are stored", async () => {
    const a = await connectJson(`ws://127.0.0.1:${parley.port}/chat/burst`);
    await a.untilJoined("burst");
    const started = Date.now();
    for (let i = 0; i < 60; i++) a.send({ type: "send", text: `m${i}`, cid: `c${i}` });
    const answers: Event[] = [];
    while (answers.length < 60) answers.push(await a.expect((e) => e.type === "ack" || e.type === "error"));
    const refill = Math.floor(((Date.now() - started) / 1000) * 20) + 1;
    const acks = answers.filter((e) => e.type === "ack");
    const limited = answers.filter((e) => e.type === "error");
    // 40 from the burst, plus what 20/s refilled meanwhile (a few ms, unless the machine is busy).
    assert.ok(acks.length >= 40 && acks.length <= 40 + refill, `acks: ${acks.length}`);
    assert.ok(limited.every((e) => e.code === "rate_limited" && typeof e.cid === "string"));
    assert.equal(acks.length + limited.length, 60);

    const b = await connectJson(`ws://127.0.0.1:${parley.port}/chat/burst`);
    const stored = historyMessages((await b.untilJoined("burst")).history);
    assert.deepEqual(
      stored.map((m) => m.text),
      acks.map((e) => `m${String(e.cid).slice(1)}`),
    );
    assert.deepEqual(
      stored.map((m) => m.seq),
      stored.map((_, i) => i + 1),
    );
    // After a pause the bucket has refilled.
    await sleep(300);
    a.send({ type: "send", text: "later", cid: "later" });
    assert.equal((await a.expect((e) => e.type === "ack" || e.type === "error")).type, "ack");
    await a.close();
    await b.close();
  });

  test("text mode: excess lines get a ` .... error:` line and are not broadcast", async () => {
    const a = await connect(`ws://127.0.0.1:${parley.wsPort}/chat/textburst`);
    const b = await connect(`ws://127.0.0.1:${parley.wsPort}/chat/textburst`);
    for (let i = 0; i < 45; i++) a.send(`line ${i}`);
    const got = await a.waitForCount(45);
    const errors = got.filter((f) => f.startsWith(" .... error: You are sending too fast"));
    assert.ok(errors.length >= 1 && errors.length <= 5, `errors: ${errors.length}`);
    const echoed = got.filter((f) => / line \d+$/.test(f)).length;
    assert.equal(echoed + errors.length, 45);
    const seen = await b.waitForCount(echoed);
    assert.ok(
      seen.every((f) => / line \d+$/.test(f)),
      "the other client sees only accepted lines",
    );
    await sleep(100);
    assert.equal(b.frames.length, echoed);
    await a.close();
    await b.close();
  });

  test("sustained abuse closes the connection with 1008", async () => {
    const a = await connect(`ws://127.0.0.1:${parley.wsPort}/chat/abuse`);
    for (let i = 0; i < 400; i++) a.send(`flood ${i}`);
    const { code } = await a.closed;
    assert.equal(code, 1008);
    const echoed = a.frames.filter((f) => / flood \d+$/.test(f)).length;
    assert.ok(echoed <= 45, `accepted ${echoed}`);
  });

  test("a flood from one client does not raise another client's latency beyond the limit's effect", async () => {
    const quiet = await startTestParley({ rateLimit: 20, rateBurst: 40, rateStrikes: 0 });
    try {
      const url = `ws://127.0.0.1:${quiet.port}/chat/flood`;
      const talker = await connectJson(url);
      const listener = await connectJson(url);
      await talker.untilJoined("flood");
      await listener.untilJoined("flood");
      const measure = async (count: number): Promise<number[]> => {
        const latencies: number[] = [];
        for (let i = 0; i < count; i++) {
          const text = `probe ${Math.random()}`;
          const started = performance.now();
          talker.send({ type: "send", text });
          await listener.expect((e) => e.type === "message" && e.text === text);
          latencies.push(performance.now() - started);
          await sleep(40); // 25/s with the wait: under the talker's own limit
        }
        return latencies.sort((x, y) => x - y);
      };
      const baseline = await measure(25);
      // The flooder is its own process, so its sending does not slow this one's event loop.
      const flooder = spawn(process.execPath, ["--input-type=module", "-e", FLOODER, url], {
        cwd: fileURLToPath(new URL("../../", import.meta.url)),
        stdio: ["pipe", "pipe", "inherit"],
      });
      let out = "";
      flooder.stdout.on("data", (chunk: Buffer) => {
        out += chunk.toString();
      });
      while (!out.includes("open")) await sleep(10);
      await sleep(200);
      const during = await measure(25);
      flooder.stdin.end("stop\n");
      await new Promise((resolve) => flooder.once("exit", resolve));
      const { sent, echoed } = JSON.parse(out.slice(out.indexOf("{"))) as { sent: number; echoed: number };
      const p99 = (sorted: number[]) => sorted[Math.ceil(sorted.length * 0.99) - 1] as number;
      console.log(
        `# p99 latency: ${p99(baseline).toFixed(1)} ms quiet, ${p99(during).toFixed(1)} ms under a flood of ${sent} frames (${echoed} accepted)`,
      );
      assert.ok(sent > 1000, `the flood was real: ${sent}`);
      assert.ok(p99(during) < p99(baseline) * 3 + 150, `p99 ${p99(baseline)} → ${p99(during)} ms`);
      assert.ok(echoed <= 40 + 20 * 5, `the flooder got at most its burst plus its rate: ${echoed}`);
      await Promise.all([talker.close(), listener.close()]);
    } finally {
      await quiet.close();
    }
  });
});
