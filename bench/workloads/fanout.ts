/**
 * Fan-out: 1,000 clients in one room, four of them sending at rising total rates. Finds the
 * highest delivered msgs/s with p99 ≤ 100 ms, and the latency at a fixed common rate.
 */
import { connectMany } from "../lib/connect-many.ts";
import { type HalfStep, halfOf, noRamp, type RampResult, ramp } from "../lib/ramp.ts";
import { type RawClient, Recorder } from "../lib/raw-ws.ts";
import { type Mode, type ServerSpec, sleep, startServer } from "../lib/servers.ts";
import { runStep, type StepResult } from "../lib/traffic.ts";

export const FANOUT_CLIENTS = 1000;
export const FANOUT_SENDERS = 4;
/**
 * Messages sent per second, all senders together; each is delivered to 1,000 clients. Doubling,
 * then bisected between the last pass and the first fail (`ramp`); the top is past what the
 * generator takes in on its core, so the sink shows that ceiling. Every server passes 50 (the
 * fixed rate), hence no lower steps.
 */
export const FANOUT_RATES = [100, 200, 400, 800, 1600, 3200, 6400, 12800, 25600];
/** The common rate every server is compared at: 50 sends/s = 50,000 deliveries/s. */
export const FANOUT_FIXED_RATE = 50;

export interface FanoutResult {
  ramp: RampResult;
  fixed: StepResult | null;
  /** At half of this server's highest passing send rate, on a fresh server (Parley only); see `HalfBasis`. */
  half: HalfStep | null;
  clients: number;
}

/** A ramp step: 1 s measured is 10,000+ latency samples even at the lowest rate. */
export const STEP = { warmMs: 500, measureMs: 1000 };
/**
 * A half-saturation step runs right after its clients connect, to a fresh server: warmed 3 s, not
 * 0.5, so the generator's GC of the connections' garbage (up to 22 ms pauses, in 2 of 3 runs with
 * 0.5 s, in none of 3 with 3 s) and the server's first moments at the rate fall before the window.
 */
export const HALF_STEP = { warmMs: 3000, measureMs: 2000 };

/** A client's options in `room`: JSON mode asks Parley for `parley.v1` (peers started for JSON ignore it). */
export const clientIn = (spec: ServerSpec, mode: Mode, room: string) => ({
  path: spec.path(room),
  dialect: mode === "json" ? ("json" as const) : spec.dialect,
  room,
  ...(mode === "json" && spec.name.startsWith("parley") ? { protocol: "parley.v1" } : {}),
});

export const withRoom = async <T>(
  spec: ServerSpec,
  tag: string,
  run: (senders: RawClient[], recorder: Recorder, server: Awaited<ReturnType<typeof startServer>>) => Promise<T>,
  mode: Mode = "text",
): Promise<T> => {
  const server = await startServer(spec, tag, mode);
  const recorder = new Recorder();
  let clients: RawClient[] = [];
  try {
    const opened = await connectMany(FANOUT_CLIENTS, 50, (i) => ({
      port: server.port,
      ...clientIn(spec, mode, "fan"),
      recorder,
      sampleLatency: i % 10 === 5, // 100 of the 1,000 read timestamps; all are counted
    }));
    clients = opened.clients;
    if (opened.failed > 0) throw new Error(`${opened.failed} of ${FANOUT_CLIENTS} clients could not connect`);
    // JSON clients get welcome, history and 1,000 presence joins each: let that settle first.
    await sleep(mode === "json" ? 2000 : 500);
    const senders = Array.from({ length: FANOUT_SENDERS }, (_, k) => clients[k * 250] as RawClient);
    return await run(senders, recorder, server);
  } finally {
    await server.stop();
    for (const c of clients) c?.destroy();
  }
};

export const runFanout = async (
  spec: ServerSpec,
  options: { budgetMs: number; half: boolean; log: (line: string) => void },
): Promise<FanoutResult> => {
  // The common rate first, on its own: every server gets a figure there even if its ramp stops early.
  const { fixed, result } = await withRoom(spec, "fanout", async (senders, recorder, server) => {
    const common = await runStep({
      senders,
      recorder,
      server,
      fanout: FANOUT_CLIENTS,
      sendRate: FANOUT_FIXED_RATE,
      warmMs: 500,
      measureMs: 2000,
      countWrites: true,
    });
    options.log(`fixed rate ${stepLine(common)}`);
    await sleep(300);
    const rampResult = await ramp(
      FANOUT_RATES,
      (rate) => runStep({ senders, recorder, server, fanout: FANOUT_CLIENTS, sendRate: rate, ...STEP }),
      options.budgetMs,
      (s) => options.log(stepLine(s)),
    );
    return { fixed: common, result: rampResult };
  });
  let half: HalfStep | null = null;
  const at = options.half ? halfOf(result) : null;
  if (at) {
    const step = await withRoom(spec, "half", (senders, recorder, server) =>
      runStep({ senders, recorder, server, fanout: FANOUT_CLIENTS, sendRate: at.rate, ...HALF_STEP }),
    );
    options.log(`half-saturation (half of a ${at.basis}) ${stepLine(step)}`);
    half = { step, basis: at.basis, of: at.of };
  }
  return { ramp: result, fixed, half, clients: FANOUT_CLIENTS };
};

/** Only the half-saturation step, at `sendRate` (`--workloads half`: to work on that latency alone). */
export const runHalfOnly = async (
  spec: ServerSpec,
  sendRate: number,
  log: (line: string) => void,
): Promise<FanoutResult> => {
  const step = await withRoom(spec, "half", (senders, recorder, server) =>
    runStep({ senders, recorder, server, fanout: FANOUT_CLIENTS, sendRate, ...HALF_STEP }),
  );
  log(`half-saturation at a given rate ${stepLine(step)}`);
  const half: HalfStep = { step, basis: "given" };
  return { ramp: noRamp(), fixed: null, half, clients: FANOUT_CLIENTS };
};

export const stepLine = (s: StepResult): string =>
  `send ${s.sendRate}/s → delivered ${s.delivered}/s of ${s.offered}, p50 ${s.p50Ms} ms, p99 ${s.p99Ms} ms, ` +
  `cpu server ${s.serverCpu} (${s.serverCpuUsPerDelivery} µs/delivery${s.serverWritesPerDelivery !== null ? `, ${s.serverWritesPerDelivery} writes/delivery` : ""}) gen ${s.generatorCpu} (${s.generatorCpuUsPerDelivery} µs/delivery, ` +
  `lag p99 ${s.generatorLagP99Ms} max ${s.generatorLagMaxMs} ms, ${s.generatorGc.count} gc ${s.generatorGc.totalMs} ms max ${s.generatorGc.maxMs})` +
  `${s.acked !== null ? `, acks ${s.acked}/s p99 ${s.ackP99Ms} ms` : ""}${s.errors ? `, ${s.errors} errors` : ""}` +
  `${s.closedClients ? `, ${s.closedClients} closed` : ""} ${s.pass ? "ok" : "FAIL"}`;
