/**
 * The JSON shapes: the same one big room and many small rooms as the text workloads, with JSON v1
 * clients the way the page and the SDK send (each `send` with a `cid`, the sender counts its `ack`),
 * so acks, seq and JSON encoding are in the figure. `fanout-mix` (Parley only, issue #18 point 10):
 * the one big room with 1 reaction and 1 edit in every 10 sends, beside the plain JSON run.
 */
import { connectMany } from "../lib/connect-many.ts";
import { type RampResult, ramp } from "../lib/ramp.ts";
import { type RawClient, Recorder } from "../lib/raw-ws.ts";
import { type ServerSpec, sleep, startServer } from "../lib/servers.ts";
import { runStep, type StepOptions, type StepResult } from "../lib/traffic.ts";
import { CROWD_CONNECTIONS, ROOM_SIZE, ROOMS_FIXED_RATE, ROOMS_RATES } from "./crowd.ts";
import { clientIn, FANOUT_CLIENTS, FANOUT_FIXED_RATE, FANOUT_RATES, STEP, stepLine, withRoom } from "./fanout.ts";

export interface JsonResult {
  ramp: RampResult;
  fixed: StepResult | null;
  clients: number;
}

/** Of every 10 sends: 1 reaction (toggling 👍 on the sender's last message) and 1 edit of it. */
export const MIX = { reactions: 1, edits: 1 } as const;

export const runJsonFanout = async (
  spec: ServerSpec,
  options: { budgetMs: number; log: (line: string) => void; mix?: boolean },
): Promise<JsonResult> =>
  withRoom(
    spec,
    options.mix ? "fanout-mix" : "fanout-json",
    async (senders, recorder, server) => {
      const base: Omit<StepOptions, "sendRate" | "warmMs" | "measureMs"> = {
        senders,
        recorder,
        server,
        fanout: FANOUT_CLIENTS,
        acks: true,
        ...(options.mix ? { mix: MIX } : {}),
      };
      const fixed = await runStep({ ...base, sendRate: FANOUT_FIXED_RATE, warmMs: 500, measureMs: 2000 });
      options.log(`fixed rate ${stepLine(fixed)}`);
      await sleep(300);
      const result = await ramp(
        FANOUT_RATES,
        (rate) => runStep({ ...base, sendRate: rate, ...STEP }),
        options.budgetMs,
        (s) => options.log(stepLine(s)),
      );
      if (recorder.firstError) options.log(`first error: ${recorder.firstError}`);
      return { ramp: result, fixed, clients: FANOUT_CLIENTS };
    },
    "json",
  );

/** 10,000 JSON clients in 1,000 rooms of 10, one sender per room. */
export const runJsonRooms = async (
  spec: ServerSpec,
  options: { budgetMs: number; log: (line: string) => void },
): Promise<JsonResult> => {
  const server = await startServer(spec, "rooms-json", "json");
  const recorder = new Recorder();
  let clients: RawClient[] = [];
  try {
    const opened = await connectMany(CROWD_CONNECTIONS, 100, (i) => ({
      port: server.port,
      ...clientIn(spec, "json", `r${Math.floor(i / ROOM_SIZE)}`),
      recorder,
      sampleLatency: i % ROOM_SIZE === 1,
    }));
    clients = opened.clients;
    options.log(
      `connected ${CROWD_CONNECTIONS - opened.failed}/${CROWD_CONNECTIONS} JSON clients in ${Math.round(opened.ms)} ms`,
    );
    await sleep(2000);
    const senders = clients.filter((c, i) => i % ROOM_SIZE === 0 && c.open);
    const base = { senders, recorder, server, fanout: ROOM_SIZE, acks: true };
    const fixed = await runStep({ ...base, sendRate: ROOMS_FIXED_RATE, warmMs: 500, measureMs: 2000 });
    options.log(`fixed rate ${stepLine(fixed)}`);
    await sleep(300);
    const result = await ramp(
      ROOMS_RATES,
      (rate) => runStep({ ...base, sendRate: rate, ...STEP }),
      options.budgetMs,
      (s) => options.log(stepLine(s)),
    );
    if (recorder.firstError) options.log(`first error: ${recorder.firstError}`);
    return { ramp: result, fixed, clients: CROWD_CONNECTIONS };
  } finally {
    await server.stop();
    for (const c of clients) c?.destroy();
  }
};
