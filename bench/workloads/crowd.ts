/**
 * 10,000 connections to one server, in 1,000 rooms of 10: how fast they connect (handshakes/s),
 * what they cost idle (RSS per connection), then traffic in every room at rising rates, and
 * (Parley) a step at half the highest rate passed, on a fresh server.
 */
import { connectMany } from "../lib/connect-many.ts";
import { type HalfStep, halfOf, noRamp, type RampResult, ramp } from "../lib/ramp.ts";
import { type RawClient, Recorder } from "../lib/raw-ws.ts";
import { type ServerSpec, sleep, startServer } from "../lib/servers.ts";
import { runStep, type StepResult } from "../lib/traffic.ts";
import { HALF_STEP, STEP, stepLine } from "./fanout.ts";

export const CROWD_CONNECTIONS = 10_000;
export const ROOM_SIZE = 10;
/**
 * Messages sent per second over all 1,000 rooms (one sender per room); each reaches 10. Doubling,
 * then bisected (`ramp`); every server passes the fixed rate, 2,000, hence no lower steps.
 */
export const ROOMS_RATES = [4000, 8000, 16000, 32000, 64000];
export const ROOMS_FIXED_RATE = 2000;

export interface CrowdResult {
  connections: number;
  /** `serverCpuUsPerConnection`: the server's CPU per handshake (µs), steadier than the rate on a busy machine. */
  /** Null when only a many-rooms step ran (`--workloads rooms-half`). */
  connect: { ms: number; perSecond: number; failed: number; serverCpuUsPerConnection: number } | null;
  idle: { baselineRssKb: number; rssKb: number; kbPerConnection: number } | null;
  /**
   * Null when only the connect and idle parts ran (`--workloads idle`). `half`: at half the ramp's
   * highest passing rate, on a fresh server (Parley only), as fan-out's.
   */
  rooms: { ramp: RampResult; fixed: StepResult | null; half: HalfStep | null } | null;
}

type Crowd = {
  server: Awaited<ReturnType<typeof startServer>>;
  recorder: Recorder;
  clients: RawClient[];
  opened: { failed: number; ms: number };
  /** The idle server's RSS and CPU seconds just before the connections. */
  baselineRssKb: number;
  cpuBefore: number;
};

/** A fresh server with `total` connections in rooms of ROOM_SIZE, for `run`; stopped after it. */
const withCrowd = async <T>(
  spec: ServerSpec,
  tag: string,
  total: number,
  run: (crowd: Crowd) => Promise<T>,
): Promise<T> => {
  const server = await startServer(spec, tag);
  const recorder = new Recorder();
  let clients: RawClient[] = [];
  try {
    await sleep(1000);
    const baselineRssKb = server.rssKb();
    const cpuBefore = server.cpuSeconds();
    const opened = await connectMany(total, 100, (i) => ({
      port: server.port,
      path: spec.path(`r${Math.floor(i / ROOM_SIZE)}`),
      dialect: spec.dialect,
      recorder,
      sampleLatency: i % ROOM_SIZE === 1,
    }));
    clients = opened.clients;
    return await run({ server, recorder, clients, opened, baselineRssKb, cpuBefore });
  } finally {
    await server.stop();
    for (const c of clients) c?.destroy();
  }
};

/** One sender per room: the first member of each. */
const sendersOf = (clients: RawClient[]): RawClient[] => clients.filter((c, i) => i % ROOM_SIZE === 0 && c.open);

/** The many-rooms step at `sendRate` on a fresh server, every connection open first (2 s measured, as fan-out's). */
export const roomsStepAlone = (spec: ServerSpec, sendRate: number, total = CROWD_CONNECTIONS): Promise<StepResult> =>
  withCrowd(spec, "rooms-half", total, async ({ server, recorder, clients, opened }) => {
    if (opened.failed > 0) throw new Error(`${opened.failed} of ${total} clients could not connect`);
    await sleep(2000); // as the ramp's server: connected, then idle a moment
    return runStep({
      senders: sendersOf(clients),
      recorder,
      server,
      fanout: ROOM_SIZE,
      sendRate,
      ...HALF_STEP,
    });
  });

/** A result holding only a step at a given rate (`--workloads rooms-half`). */
export const roomsHalfOnly = (step: StepResult): CrowdResult => ({
  connections: CROWD_CONNECTIONS,
  connect: null,
  idle: null,
  rooms: {
    ramp: noRamp(),
    fixed: null,
    half: { step, basis: "given" },
  },
});

export const runCrowd = async (
  spec: ServerSpec,
  options: {
    budgetMs: number;
    log: (line: string) => void;
    connections?: number;
    idleOnly?: boolean;
    /** Also the step at half the ramp's highest passing rate, on a fresh server. */
    half?: boolean;
  },
): Promise<CrowdResult> => {
  const total = options.connections ?? CROWD_CONNECTIONS;
  const result = await withCrowd(spec, "crowd", total, async (crowd): Promise<CrowdResult> => {
    const { server, recorder, clients, opened, baselineRssKb, cpuBefore } = crowd;
    const connect = {
      ms: Math.round(opened.ms),
      perSecond: Math.round((total - opened.failed) / (opened.ms / 1000)),
      failed: opened.failed,
      serverCpuUsPerConnection:
        Math.round(((server.cpuSeconds() - cpuBefore) / Math.max(1, total - opened.failed)) * 1e7) / 10,
    };
    options.log(
      `connected ${total - opened.failed}/${total} in ${connect.ms} ms: ${connect.perSecond} handshakes/s, ` +
        `server CPU ${connect.serverCpuUsPerConnection} µs per handshake`,
    );
    await sleep(2000);
    const rssKb = server.rssKb();
    const idle = {
      baselineRssKb,
      rssKb,
      kbPerConnection: Math.round(((rssKb - baselineRssKb) / (total - opened.failed)) * 100) / 100,
    };
    options.log(`idle RSS ${baselineRssKb} → ${rssKb} kB: ${idle.kbPerConnection} kB per connection`);
    if (options.idleOnly) return { connections: total, connect, idle, rooms: null };
    const senders = sendersOf(clients);
    const fixed = await runStep({
      senders,
      recorder,
      server,
      fanout: ROOM_SIZE,
      sendRate: ROOMS_FIXED_RATE,
      warmMs: 500,
      measureMs: 2000,
    });
    options.log(`fixed rate ${stepLine(fixed)}`);
    await sleep(300);
    const rampResult = await ramp(
      ROOMS_RATES,
      (rate) => runStep({ senders, recorder, server, fanout: ROOM_SIZE, sendRate: rate, ...STEP }),
      options.budgetMs,
      (s) => options.log(stepLine(s)),
    );
    return { connections: total, connect, idle, rooms: { ramp: rampResult, fixed, half: null } };
  });
  const half = options.half && result.rooms ? halfOf(result.rooms.ramp) : null;
  if (result.rooms && half) {
    const step = await roomsStepAlone(spec, half.rate, total);
    options.log(`half-saturation (half of a ${half.basis}) ${stepLine(step)}`);
    result.rooms.half = { step, basis: half.basis, of: half.of };
  }
  return result;
};
