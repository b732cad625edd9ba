/**
 * Offered load and what came back: senders post timestamped lines at a fixed total rate,
 * the recorder counts every delivery and samples end-to-end latency.
 */
import { constants, monitorEventLoopDelay, PerformanceObserver } from "node:perf_hooks";
import { Histogram, nowUs } from "./histogram.ts";
import type { RawClient, Recorder } from "./raw-ws.ts";
import type { RunningServer } from "./servers.ts";
import { sleep } from "./servers.ts";
import { countWrites } from "./syscalls.ts";

export const P99_LIMIT_MS = 100;
/** A step passes when at least this share of the expected deliveries arrived in its window. */
export const DELIVERY_FLOOR = 0.95;

export interface StepResult {
  /** Messages sent per second, all senders together. */
  sendRate: number;
  /** Messages sent in the whole step (warm-up included). */
  sent: number;
  /** Deliveries per second the offered load asks for (send rate × recipients per message). */
  offered: number;
  /** Deliveries per second counted in the measuring window. */
  delivered: number;
  p50Ms: number | null;
  p99Ms: number | null;
  /** Server CPU use in the window, in cores (1 = one core busy). */
  serverCpu: number;
  /** The generator's own CPU use in the window: near 1 would mean it, not the server, was the limit. */
  generatorCpu: number;
  /** Generator CPU µs per delivery: its ceiling is about 1e6 / this on its one core. */
  generatorCpuUsPerDelivery: number | null;
  /**
   * The generator's own stalls in the window: its event loop's delay (p99 and max, ms: a read
   * that waits behind them is late by that much, whatever the server did) and its GC pauses
   * (count of scavenges and mark-compacts, their summed and longest wall time, ms). A p99 near
   * `generatorLagP99Ms` is the generator's, not the server's.
   */
  generatorLagP99Ms: number;
  generatorLagMaxMs: number;
  generatorGc: { count: number; totalMs: number; maxMs: number };
  /** JSON clients: acks per second in the window, p99 from send to ack, `error` events in the step. */
  acked: number | null;
  ackP99Ms: number | null;
  errors: number;
  /** Server CPU microseconds per delivered message: an efficiency figure less swayed by a busy machine. */
  serverCpuUsPerDelivery: number | null;
  /**
   * The server's write system calls per delivery in the window (`countWrites` steps; perf's
   * tracepoints on its main thread): 1 is a write for every delivery, less is messages coalesced
   * into one write. Null where not asked or perf cannot trace.
   */
  serverWritesPerDelivery: number | null;
  /** Clients the server closed during the step (slow-consumer limits and such). */
  closedClients: number;
  pass: boolean;
}

const PAD = "x".repeat(64);

/** A 64-byte chat line starting with the send time in µs, which the receivers read back. */
const line = (): string => `${Math.round(nowUs())} ${PAD}`.slice(0, 64);

export interface StepOptions {
  senders: RawClient[];
  recorder: Recorder;
  /** Recipients per message (the sender included, as in the Cookbook). */
  fanout: number;
  sendRate: number;
  warmMs: number;
  measureMs: number;
  /** For the CPU columns; absent when the server runs in this process (the generator's test). */
  server?: RunningServer;
  /** JSON clients that wait for acks: count them, and time them. */
  acks?: boolean;
  /** JSON: of every 10 sends, this many are reactions and this many edits (issue #18 point 10's mix). */
  mix?: { reactions: number; edits: number };
  /** Count the server's write system calls in the window (see `serverWritesPerDelivery`). */
  countWrites?: boolean;
}

/** Which of every 10 actions are reactions (the first `reactions`) and edits (the next `edits`). */
const actionOf = (n: number, mix: StepOptions["mix"]): "say" | "react" | "edit" => {
  if (!mix) return "say";
  const slot = n % 10;
  return slot < mix.reactions ? "react" : slot < mix.reactions + mix.edits ? "edit" : "say";
};

/** Sends at `sendRate` for warm + measure, and measures the second part. */
export const runStep = async (o: StepOptions): Promise<StepResult> => {
  // The generator's garbage from earlier steps and servers (10,000 clients closed, 10,000 opened)
  // is collected now, not by a mark-compact inside the window (one paused it 83 ms in a half step).
  (globalThis as { gc?: () => void }).gc?.();
  const started = performance.now();
  let sent = 0;
  let next = 0;
  const maxBurst = Math.max(1, Math.ceil(o.sendRate * 0.02));
  const held: RawClient[] = [];
  const timer = setInterval(() => {
    const due = Math.min(maxBurst, Math.floor(((performance.now() - started) / 1000) * o.sendRate) - sent);
    for (let i = 0; i < due; i++) {
      const n = next++;
      const sender = o.senders[n % o.senders.length] as RawClient;
      if (sender.closed) continue;
      // A sender's sends of this tick go out in one write (in many rooms that is one send anyway).
      if (!sender.holding) {
        sender.hold();
        held.push(sender);
      }
      // The same sender's turns rotate through the slots: each sender mixes in its share.
      const action = actionOf(Math.floor(n / o.senders.length), o.mix);
      if (action === "say") sender.say(line());
      else if (action === "react") sender.react(line());
      else sender.edit(line());
    }
    for (const sender of held) sender.release();
    held.length = 0;
    if (due > 0) sent += due;
  }, 1);
  await sleep(o.warmMs);
  const closedBefore = o.recorder.closed;
  const histogram = new Histogram();
  o.recorder.histogram = histogram;
  const ackHistogram = new Histogram();
  if (o.acks) o.recorder.ackHistogram = ackHistogram;
  const [ackedBefore, errorsBefore] = [o.recorder.acked, o.recorder.errors];
  const deliveredBefore = o.recorder.delivered;
  const cpuBefore = o.server?.cpuSeconds() ?? 0;
  const ownBefore = process.cpuUsage();
  const stalls = watchStalls();
  const windowStart = performance.now();
  const writes = o.countWrites && o.server ? countWrites(o.server.pid, o.measureMs) : null;
  await sleep(o.measureMs);
  const windowS = (performance.now() - windowStart) / 1000;
  const delivered = (o.recorder.delivered - deliveredBefore) / windowS;
  const serverCpu = ((o.server?.cpuSeconds() ?? 0) - cpuBefore) / windowS;
  const own = process.cpuUsage(ownBefore);
  const generatorCpu = (own.user + own.system) / 1e6 / windowS;
  const generatorStalls = stalls.stop();
  const acked = (o.recorder.acked - ackedBefore) / windowS;
  o.recorder.histogram = null;
  o.recorder.ackHistogram = null;
  // perf counts for measureMs from when it has started, a little after this window: the load goes
  // on until it is done, so both windows see the same steady rate.
  const writeCount = writes ? await writes : null;
  clearInterval(timer);
  const offered = o.sendRate * o.fanout;
  const p99Ms = histogram.percentileMs(99);
  const closedClients = o.recorder.closed - closedBefore;
  const ackP99Ms = o.acks ? ackHistogram.percentileMs(99) : null;
  const serverWritesPerDelivery =
    writeCount === null || delivered <= 0
      ? null
      : Math.round((writeCount / (o.measureMs / 1000) / delivered) * 1000) / 1000;
  const acksKept = !o.acks || (acked >= DELIVERY_FLOOR * o.sendRate && ackP99Ms !== null && ackP99Ms <= P99_LIMIT_MS);
  return {
    sendRate: o.sendRate,
    sent,
    offered,
    delivered: Math.round(delivered),
    p50Ms: round(histogram.percentileMs(50)),
    p99Ms: round(p99Ms),
    serverCpu: Math.round(serverCpu * 100) / 100,
    generatorCpu: Math.round(generatorCpu * 100) / 100,
    generatorCpuUsPerDelivery: delivered > 0 ? Math.round((generatorCpu / delivered) * 1e8) / 100 : null,
    ...generatorStalls,
    acked: o.acks ? Math.round(acked) : null,
    ackP99Ms: round(ackP99Ms),
    errors: o.recorder.errors - errorsBefore,
    serverCpuUsPerDelivery: delivered > 0 && o.server ? Math.round((serverCpu / delivered) * 1e8) / 100 : null,
    serverWritesPerDelivery,
    closedClients,
    pass:
      delivered >= DELIVERY_FLOOR * offered &&
      p99Ms !== null &&
      p99Ms <= P99_LIMIT_MS &&
      closedClients === 0 &&
      acksKept,
  };
};

/**
 * Watches this process (the generator) from now to `stop`: event-loop delay at 1 ms resolution
 * (its 1 ms send timer runs anyway) and every GC pause V8 reports.
 */
const watchStalls = (): {
  stop: () => Pick<StepResult, "generatorLagP99Ms" | "generatorLagMaxMs" | "generatorGc">;
} => {
  const lag = monitorEventLoopDelay({ resolution: 1 });
  lag.enable();
  const gc = { count: 0, totalMs: 0, maxMs: 0 };
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const kind = (e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind;
      if (kind === constants.NODE_PERFORMANCE_GC_WEAKCB) continue; // callbacks, not a pause of their own
      gc.count++;
      gc.totalMs += e.duration;
      gc.maxMs = Math.max(gc.maxMs, e.duration);
    }
  });
  observer.observe({ entryTypes: ["gc"] });
  return {
    stop: () => {
      lag.disable();
      observer.disconnect();
      return {
        generatorLagP99Ms: Math.round(lag.percentile(99) / 1e4) / 100,
        generatorLagMaxMs: Math.round(lag.max / 1e4) / 100,
        generatorGc: {
          count: gc.count,
          totalMs: Math.round(gc.totalMs * 10) / 10,
          maxMs: Math.round(gc.maxMs * 10) / 10,
        },
      };
    },
  };
};

const round = (ms: number | null): number | null => (ms === null ? null : Math.round(ms * 100) / 100);
