import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import fc from "fast-check";
import WebSocket from "ws";
import type { RunningParley } from "../../src/server.ts";
import { conversationView } from "../helpers/conversation-view.ts";
import type { Event } from "../helpers/json.ts";
import { startTestParley } from "../helpers/parley.ts";

/** A raw parley.v1 socket whose every event goes to `onEvent`. */
const open = (url: string, onEvent: (e: Event) => void): Promise<WebSocket> =>
  new Promise((resolve, reject) => {
    const ws = new WebSocket(url, "parley.v1");
    ws.on("message", (data) => onEvent(JSON.parse(String(data)) as Event));
    ws.once("open", () => resolve(ws));
    ws.once("error", reject);
  });

const until = async (probe: () => boolean, what: string, ms = 5000): Promise<void> => {
  const end = Date.now() + ms;
  while (!probe()) {
    if (Date.now() > end) assert.fail(`not within ${ms} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
};

type Op =
  | { kind: "send"; author: number; reply: boolean }
  | { kind: "edit" | "delete"; author: number; pick: number }
  | { kind: "react"; author: number; pick: number; emoji: string }
  | { kind: "reconnect" };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant("send" as const), author: fc.nat(1), reply: fc.boolean() }),
  fc.record({ kind: fc.constantFrom("edit" as const, "delete" as const), author: fc.nat(1), pick: fc.nat(50) }),
  fc.record({
    kind: fc.constant("react" as const),
    author: fc.nat(1),
    pick: fc.nat(50),
    emoji: fc.constantFrom("👍", "🎉", "❤️"),
  }),
  fc.constant({ kind: "reconnect" as const }),
);

describe("one order, exactly: a resuming client converges on the state of one that stayed", () => {
  let parley: RunningParley;
  let base: string;
  before(async () => {
    parley = await startTestParley();
    base = `ws://127.0.0.1:${parley.wsPort}/chat`;
  });
  after(() => parley.close());

  test("random interleavings of messages, edits, deletes and reactions; reconnects at random points", async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 5, maxLength: 25 }), async (ops) => {
        const room = `conv-${++run}`;
        const stayed = conversationView();
        const stayer = await open(`${base}/${room}`, stayed.apply);
        const answers = new Map<string, Event>();
        const authors = await Promise.all(
          [0, 1].map(() =>
            open(`${base}/${room}`, (e) => {
              if ((e.type === "ack" || e.type === "error") && typeof e.cid === "string") answers.set(e.cid, e);
            }),
          ),
        );
        let roaming = conversationView();
        let joined = false;
        const roam = (e: Event) => {
          roaming.apply(e);
          if (e.type === "joined") joined = true;
        };
        let roamer: WebSocket | undefined = await open(`${base}/${room}`, roam);
        await until(() => joined, "roamer joined");
        const seqs: number[] = [];
        let lastSeq = 0;
        let n = 0;
        for (const op of ops) {
          if (op.kind === "reconnect") {
            if (roamer) {
              roamer.close();
              roamer = undefined;
            } else {
              joined = false;
              roamer = await open(`${base}/${room}?autojoin=0`, roam);
              roamer.send(JSON.stringify({ type: "join", room, since: roaming.last() }));
              await until(() => joined, "roamer resumed");
            }
            continue;
          }
          const cid = `op-${++n}`;
          const target = op.kind === "send" ? seqs.at(-1) : seqs[op.pick % Math.max(seqs.length, 1)];
          if (op.kind !== "send" && target === undefined) continue;
          let frame: Record<string, unknown>;
          if (op.kind === "send")
            frame = { type: "send", room, text: `m${n}`, cid, replyTo: op.reply ? target : undefined };
          else if (op.kind === "react") frame = { type: "react", room, seq: target, emoji: op.emoji, cid };
          else if (op.kind === "edit") frame = { type: "edit", room, seq: target, text: `edited ${n}`, cid };
          else frame = { type: "delete", room, seq: target, cid };
          authors[op.author]?.send(JSON.stringify(frame));
          await until(() => answers.has(cid), `answer to ${cid}`);
          const answer = answers.get(cid) as Event;
          if (answer.type === "ack") {
            lastSeq = answer.seq as number;
            if (op.kind === "send") seqs.push(lastSeq);
          } else
            assert.ok(
              ["forbidden", "not_found", "too_many_reactions"].includes(answer.code as string),
              String(answer.code),
            );
        }
        if (!roamer) {
          joined = false;
          roamer = await open(`${base}/${room}?autojoin=0`, roam);
          roamer.send(JSON.stringify({ type: "join", room, since: roaming.last() }));
          await until(() => joined, "roamer back");
        }
        await until(() => stayed.last() >= lastSeq && roaming.last() >= lastSeq, "both saw everything");
        assert.deepEqual(roaming.bySeq, stayed.bySeq);
        // And a fresh client's first page (no replay of old changes) shows the same.
        const fresh = conversationView();
        let freshJoined = false;
        const newcomer = await open(`${base}/${room}`, (e) => {
          fresh.apply(e);
          if (e.type === "joined") freshJoined = true;
        });
        await until(() => freshJoined, "fresh client joined");
        assert.deepEqual(fresh.bySeq, stayed.bySeq);
        for (const ws of [stayer, roamer, newcomer, ...authors]) ws.close();
        roaming = conversationView();
      }),
      { numRuns: 12 },
    );
  });
});
