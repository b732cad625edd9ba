/**
 * Resume (Parley only): 1,000 messages are posted and acknowledged while a client is away;
 * it reconnects and sends `join{room, since}`. Timed from the new TCP connect to `joined`.
 */
import { RawClient as Client, clientFrame, type RawClient, Recorder } from "../lib/raw-ws.ts";
import { type ServerSpec, startServer } from "../lib/servers.ts";

export const RESUME_GAP = 1000;
const REPEATS = 10;

export interface ResumeResult {
  gap: number;
  repeats: number;
  medianMs: number;
  maxMs: number;
  /** Messages delivered by each resume; must be the gap. */
  delivered: number[];
}

interface JsonClient {
  client: RawClient;
  wait(match: (event: Record<string, unknown>) => boolean, timeoutMs: number): Promise<Record<string, unknown>>;
  events: Record<string, unknown>[];
}

const jsonClient = (port: number, path: string): JsonClient => {
  const events: Record<string, unknown>[] = [];
  const waiters = new Set<() => void>();
  const client = new Client({
    port,
    path,
    dialect: "ws",
    protocol: "parley.v1",
    recorder: new Recorder(),
    onText: (text) => {
      events.push(JSON.parse(text) as Record<string, unknown>);
      for (const w of [...waiters]) w();
    },
  });
  const wait = (match: (e: Record<string, unknown>) => boolean, timeoutMs: number) =>
    new Promise<Record<string, unknown>>((done, fail) => {
      let seen = 0;
      const check = () => {
        for (; seen < events.length; seen++) {
          const event = events[seen] as Record<string, unknown>;
          if (match(event)) {
            waiters.delete(check);
            clearTimeout(timer);
            done(event);
            return;
          }
        }
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        fail(new Error(`timed out; last events ${JSON.stringify(events.slice(-3))}`));
      }, timeoutMs);
      waiters.add(check);
      check();
    });
  return { client, wait, events };
};

const json = (frame: object): Buffer => clientFrame(JSON.stringify(frame));

export const runResume = async (spec: ServerSpec, log: (line: string) => void): Promise<ResumeResult> => {
  const server = await startServer(spec, "resume");
  const open: RawClient[] = [];
  try {
    const writer = jsonClient(server.port, "/chat/gap");
    open.push(writer.client);
    const joined = await writer.wait((e) => e.type === "joined", 10_000);
    const since = Number(joined.lastSeq);
    for (let i = 0; i < RESUME_GAP; i++) {
      writer.client.sendRaw(json({ type: "send", text: `message ${i} of the gap`, cid: `c${i}` }));
    }
    await writer.wait((e) => e.type === "ack" && e.cid === `c${RESUME_GAP - 1}`, 30_000);
    const times: number[] = [];
    const delivered: number[] = [];
    for (let r = 0; r < REPEATS; r++) {
      const started = performance.now();
      const reader = jsonClient(server.port, "/chat/home");
      open.push(reader.client);
      await reader.client.ready;
      reader.client.sendRaw(json({ type: "join", room: "gap", since }));
      const done = await reader.wait((e) => e.type === "joined" && e.room === "gap", 30_000);
      times.push(performance.now() - started);
      const got = reader.events
        .filter((e) => e.type === "history" && e.room === "gap")
        .reduce((n, e) => n + (e.messages as unknown[]).length, 0);
      const resume = done.resume as { missed: number; complete: boolean } | null;
      if (got !== RESUME_GAP || resume?.missed !== RESUME_GAP || !resume.complete) {
        throw new Error(`resume delivered ${got} messages (missed=${resume?.missed}), expected ${RESUME_GAP}`);
      }
      delivered.push(got);
      reader.client.destroy();
    }
    times.sort((a, b) => a - b);
    const result = {
      gap: RESUME_GAP,
      repeats: REPEATS,
      medianMs: Math.round((((times[4] as number) + (times[5] as number)) / 2) * 100) / 100,
      maxMs: Math.round((times.at(-1) as number) * 100) / 100,
      delivered,
    };
    log(`resume of ${RESUME_GAP}: median ${result.medianMs} ms, max ${result.maxMs} ms over ${REPEATS}`);
    return result;
  } finally {
    await server.stop();
    for (const c of open) c.destroy();
  }
};
