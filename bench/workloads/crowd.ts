/**
 * 10,000 connections to one server, in 1,000 rooms of 10: how fast they connect (handshakes/s),
 * what they cost idle (RSS per connection), then traffic in every room at rising rates.
 */
import { connectMany } from "../lib/connect-many.ts";
import { type RampResult, ramp } from "../lib/ramp.ts";
import { type RawClient, Recorder } from "../lib/raw-ws.ts";
import { type ServerSpec, sleep, startServer } from "../lib/servers.ts";
import { runStep, type StepResult } from "../lib/traffic.ts";
import { STEP, stepLine } from "./fanout.ts";

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
  connect: { ms: number; perSecond: number; failed: number; serverCpuUsPerConnection: number };
  idle: { baselineRssKb: number; rssKb: number; kbPerConnection: number };
  /** Null when only the connect and idle parts ran (`--workloads idle`). */
  rooms: { ramp: RampResult; fixed: StepResult | null } | null;
}

export const runCrowd = async (
  spec: ServerSpec,
  options: { budgetMs: number; log: (line: string) => void; connections?: number; idleOnly?: boolean },
): Promise<CrowdResult> => {
  const total = options.connections ?? CROWD_CONNECTIONS;
  const server = await startServer(spec, "crowd");
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
    const senders = clients.filter((c, i) => i % ROOM_SIZE === 0 && c.open);
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
    return { connections: total, connect, idle, rooms: { ramp: rampResult, fixed } };
  } finally {
    await server.stop();
    for (const c of clients) c?.destroy();
  }
};
