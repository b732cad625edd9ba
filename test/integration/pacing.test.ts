// test-runner: alone (measures send rates against the limiter's clock)
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import type { RunningParley } from "../../src/server.ts";
import { connect } from "../helpers/client.ts";
import { connectJson, type Event, historyMessages } from "../helpers/json.ts";
import { startTestParley } from "../helpers/parley.ts";
import { parsePrometheus, sampleValue } from "../helpers/prometheus.ts";
import { clientFrame, RawClient } from "../helpers/raw.ts";

/** The defaults (the test helper turns the rate limit off unless told). */
const DEFAULT_RATE = { rateLimit: 20, rateBurst: 40, rateStrikes: 100, rateHold: 500 };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Many text frames in one buffer: one TCP write. */
const pipelined = (payloads: string[]): Buffer =>
  Buffer.concat(payloads.map((payload) => clientFrame({ opcode: 0x1, payload })));

/** The server's text frames until `count` of them, or the close: [texts, close code or undefined]. */
const readTexts = async (
  raw: RawClient,
  count: number,
  timeoutMs = 15_000,
): Promise<[string[], number | undefined]> => {
  const texts: string[] = [];
  while (texts.length < count) {
    const frame = await raw.next(timeoutMs);
    if (!frame) return [texts, undefined];
    if (frame.opcode === 0x8) return [texts, frame.payload.length >= 2 ? frame.payload.readUInt16BE(0) : 1005];
    if (frame.opcode === 0x1) texts.push(frame.payload.toString("utf8"));
  }
  return [texts, undefined];
};

/** A JSON client on a raw socket, past its welcome and first join. */
const rawJson = async (port: number, room: string): Promise<RawClient> => {
  const raw = await RawClient.open(port, `/chat/${room}`, { headers: { "Sec-WebSocket-Protocol": "parley.v1" } });
  assert.equal(raw.status, 101);
  for (;;) {
    const [[text]] = await readTexts(raw, 1);
    if ((JSON.parse(text as string) as Event).type === "joined") return raw;
  }
};

const scrape = async (parley: RunningParley) =>
  parsePrometheus(await (await fetch(`http://127.0.0.1:${parley.port}/metrics`)).text());

describe("over the rate, frames are paced, not dropped (default settings)", {
  timeout: 60_000,
  concurrency: true,
}, () => {
  let parley: RunningParley;
  before(async () => {
    parley = await startTestParley(DEFAULT_RATE);
  });
  after(() => parley.close());

  test("100 messages pipelined in one TCP write get 100 echoes, in order, the last 60 at the rate", async () => {
    const raw = await RawClient.open(parley.wsPort, "/chat/pipelined");
    const started = performance.now();
    raw.write(pipelined(Array.from({ length: 100 }, (_, i) => `line ${i}`)));
    const [echoes, code] = await readTexts(raw, 100);
    const seconds = (performance.now() - started) / 1000;
    assert.equal(code, undefined, "not closed");
    assert.deepEqual(
      echoes.map((line) => line.replace(/^user-\d+: /, "")),
      Array.from({ length: 100 }, (_, i) => `line ${i}`),
    );
    // 40 at once (the burst), 60 at 20 a second: about 3 s.
    assert.ok(seconds > 2.5, `paced: ${seconds.toFixed(2)} s`);
    const metrics = await scrape(parley);
    assert.ok(sampleValue(metrics, "parley_frames_paced_total") >= 60);
    assert.equal(sampleValue(metrics, "parley_frames_dropped_total", { reason: "rate" }), 0);
    raw.destroy();
  });

  test("a text client piping 200 lines: every member gets all 200, in order, just slower", async () => {
    const url = `ws://127.0.0.1:${parley.wsPort}/chat/piped`;
    const writer = await connect(url);
    const reader = await connect(url);
    for (let i = 0; i < 200; i++) writer.send(`piped ${i}`);
    const seen = await reader.waitForCount(200, 20_000);
    assert.deepEqual(
      seen.map((line) => line.replace(/^user-\d+: /, "")),
      Array.from({ length: 200 }, (_, i) => `piped ${i}`),
    );
    assert.equal((await writer.waitForCount(200)).filter((line) => line.includes("error")).length, 0);
    await Promise.all([writer.close(), reader.close()]);
  });

  test("a JSON burst of 60 sends: 60 acks in order, none refused, stored in that order", async () => {
    const url = `ws://127.0.0.1:${parley.port}/chat/burst`;
    const a = await connectJson(url);
    await a.untilJoined("burst");
    for (let i = 0; i < 60; i++) a.send({ type: "send", text: `m${i}`, cid: `c${i}` });
    const answers: Event[] = [];
    while (answers.length < 60) answers.push(await a.expect((e) => e.type === "ack" || e.type === "error", 10_000));
    assert.deepEqual(
      answers.map((e) => `${e.type} ${e.cid}`),
      Array.from({ length: 60 }, (_, i) => `ack c${i}`),
    );
    const b = await connectJson(`ws://127.0.0.1:${parley.port}/chat/elsewhere`);
    b.send({ type: "join", room: "burst", limit: 100 });
    const stored = historyMessages((await b.untilJoined("burst")).history);
    assert.deepEqual(
      stored.map((m) => m.text),
      Array.from({ length: 60 }, (_, i) => `m${i}`),
    );
    await Promise.all([a.close(), b.close()]);
  });
});

describe("past the hold, what is refused is explained and counted", { timeout: 30_000 }, () => {
  let parley: RunningParley;
  before(async () => {
    parley = await startTestParley({ ...DEFAULT_RATE, rateHold: 50 });
  });
  after(() => parley.close());

  test("a text client that packs more than burst + hold into one write is closed with 1008 Excess Flood; the lines before it (its burst) were broadcast in order", async () => {
    const watcher = await connect(`ws://127.0.0.1:${parley.wsPort}/chat/flooded`);
    const raw = await RawClient.open(parley.wsPort, "/chat/flooded");
    raw.write(pipelined(["flood 0"])); // its echo says the member is in the room
    assert.match((await readTexts(raw, 1))[0][0] ?? "", / flood 0$/);
    raw.write(pipelined(Array.from({ length: 199 }, (_, i) => `flood ${i + 1}`)));
    const closeFrame = await (async () => {
      for (;;) {
        const frame = await raw.next(10_000);
        if (!frame || frame.opcode === 0x8) return frame;
      }
    })();
    assert.ok(closeFrame, "a close frame, not a dropped socket");
    assert.equal(closeFrame.payload.readUInt16BE(0), 1008);
    assert.match(closeFrame.payload.subarray(2).toString(), /^Excess Flood: more than 50 messages waiting$/);
    await sleep(200);
    const lines = watcher.frames.filter((f) => / flood \d+$/.test(f)).map((f) => f.replace(/^user-\d+: /, ""));
    assert.deepEqual(
      lines,
      Array.from({ length: lines.length }, (_, i) => `flood ${i}`),
      "a prefix, in order, no gap",
    );
    assert.ok(lines.length >= 40 && lines.length <= 45, `the burst went through: ${lines.length}`);
    raw.destroy();
    let closedForRate = 0;
    for (let i = 0; i < 50 && closedForRate === 0; i++, await sleep(20)) {
      closedForRate = sampleValue(await scrape(parley), "parley_connections_closed_total", { reason: "rate" });
    }
    assert.equal(closedForRate, 1, "counted as closed for its rate");
    await watcher.close();
  });

  test("a JSON client past the hold gets rate_limited with the cid of each refused frame; the rest is acked in order", async () => {
    const raw = await rawJson(parley.port, "refused");
    const before = sampleValue(await scrape(parley), "parley_frames_dropped_total", { reason: "rate" });
    const sends = Array.from({ length: 150 }, (_, i) => JSON.stringify({ type: "send", text: `s${i}`, cid: `k${i}` }));
    raw.write(pipelined(sends));
    const events: Event[] = [];
    while (events.length < 150) {
      const [[text], code] = await readTexts(raw, 1);
      assert.equal(code, undefined, "still open");
      const event = JSON.parse(text as string) as Event;
      if (event.type === "ack" || event.type === "error") events.push(event);
    }
    const acked = events.filter((e) => e.type === "ack").map((e) => e.cid);
    const refused = events.filter((e) => e.type === "error");
    assert.ok(refused.every((e) => e.code === "rate_limited"));
    // 40 from the burst and 50 held: 90 acked, in order; the other 60 refused, each by its cid.
    assert.deepEqual(
      acked,
      Array.from({ length: 90 }, (_, i) => `k${i}`),
    );
    assert.deepEqual(
      refused.map((e) => e.cid),
      Array.from({ length: 60 }, (_, i) => `k${90 + i}`),
    );
    const after = sampleValue(await scrape(parley), "parley_frames_dropped_total", { reason: "rate" });
    assert.equal(after - before, 60);
    raw.destroy();
  });

  test("a JSON client that keeps overflowing its hold is closed with 1008 after --rate-strikes refusals", async () => {
    const raw = await rawJson(parley.port, "abuse");
    raw.write(pipelined(Array.from({ length: 400 }, (_, i) => JSON.stringify({ type: "send", text: `a${i}` }))));
    const [answers, code] = await readTexts(raw, 1000);
    assert.equal(code, 1008);
    const refused = answers.filter((text) => text.includes('"rate_limited"')).length;
    assert.ok(refused >= 100 && refused <= 101, `refused ${refused} before the close`);
    raw.destroy();
  });
});

describe("frames held behind a rename", { timeout: 30_000 }, () => {
  test("300 sends right behind a nick, in one TCP write, are all stored under the new name, in order (reading pauses, nothing is refused)", async () => {
    const parley = await startTestParley(); // no rate limit: only the rename's hold is at work
    try {
      const raw = await rawJson(parley.port, "renamed");
      const frames = [JSON.stringify({ type: "nick", nick: "ranger" })];
      for (let i = 0; i < 300; i++) frames.push(JSON.stringify({ type: "send", text: `r${i}`, cid: `r${i}` }));
      raw.write(pipelined(frames));
      const answers: Event[] = [];
      while (answers.length < 301) {
        const [[text], code] = await readTexts(raw, 1);
        assert.equal(code, undefined, "still open");
        const event = JSON.parse(text as string) as Event;
        if (["ack", "error", "nick"].includes(event.type)) answers.push(event);
      }
      assert.deepEqual(
        answers.map((e) => (e.type === "ack" ? e.cid : e.type === "nick" ? `nick ${e.nick}` : `error ${e.code}`)),
        ["nick ranger", ...Array.from({ length: 300 }, (_, i) => `r${i}`)],
      );
      const reader = await connectJson(`ws://127.0.0.1:${parley.port}/chat/elsewhere`);
      reader.send({ type: "join", room: "renamed", limit: 500 });
      const stored = historyMessages((await reader.untilJoined("renamed")).history);
      assert.deepEqual(
        stored.map((m) => `${m.nick} ${m.text}`),
        Array.from({ length: 300 }, (_, i) => `ranger r${i}`),
      );
      raw.destroy();
      await reader.close();
    } finally {
      await parley.close();
    }
  });
});

/** A client in its own process that sends as fast as its socket takes, until told to stop on stdin. */
const FLOODER = `
import WebSocket from "ws";
const ws = new WebSocket(process.argv[1]);
let sent = 0, echoed = 0, stop = false, code = 0;
ws.on("message", (d) => { if (/ flood \\d+$/.test(String(d))) echoed++; });
ws.on("close", (c) => { code = c; });
const tick = () => {
  if (stop || code) return;
  if (ws.bufferedAmount < 256 * 1024) for (let i = 0; i < 200; i++) ws.send("flood " + sent++);
  setTimeout(tick, 1);
};
ws.on("open", () => { process.stdout.write("open\\n"); tick(); });
process.stdin.on("data", () => {
  stop = true;
  setTimeout(() => { process.stdout.write(JSON.stringify({ sent, echoed, code }) + "\\n"); process.exit(0); }, 300);
});
`;

describe("a flood", { timeout: 30_000 }, () => {
  test("is paced to the rate and does not raise another client's latency beyond the limit's effect", async () => {
    const quiet = await startTestParley(DEFAULT_RATE);
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
      const { sent, echoed, code } = JSON.parse(out.slice(out.indexOf("{"))) as {
        sent: number;
        echoed: number;
        code: number;
      };
      const p99 = (sorted: number[]) => sorted[Math.ceil(sorted.length * 0.99) - 1] as number;
      console.log(
        `# p99 latency: ${p99(baseline).toFixed(1)} ms quiet, ${p99(during).toFixed(1)} ms under a flood of ${sent} frames (${echoed} accepted, closed with ${code})`,
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
