/**
 * The ramp: raise the send rate until a step fails, then bisect between the last passing rate
 * and the first failing one, so a server's figure is not rounded down to a coarse step.
 */
import { sleep } from "./servers.ts";
import type { StepResult } from "./traffic.ts";

/** Halvings of the gap between the last pass and the first fail: on a ×2 ramp, within 12.5%. */
export const BISECTIONS = 3;

export interface RampResult {
  steps: StepResult[];
  /** Delivered msgs/s of the passing step with the most (p99 ≤ 100 ms, ≥ 95% delivered). */
  maxDelivered: number;
  maxSendRate: number;
  /** The lowest send rate that failed (after its retry): the boundary lies between maxSendRate and this. */
  failedSendRate: number | null;
  /**
   * Why the ramp stopped: a failing step (`p99`: latency or deliveries), the last rate passed
   * (`top`: the figure is a floor), or the time budget before any step failed (`budget`: also a floor).
   */
  stoppedBy: "p99" | "top" | "budget";
  /** The generator's CPU in the last step: near 1 means the generator, too, was at its limit. */
  generatorCpuAtStop: number | null;
}

/** The ramp of a run that measured only one step at a given rate (`--workloads half`, `rooms-half`). */
export const noRamp = (): RampResult => ({
  steps: [],
  maxDelivered: 0,
  maxSendRate: 0,
  failedSendRate: null,
  stoppedBy: "budget",
  generatorCpuAtStop: null,
});

/**
 * A rate between `low` and `high`, rounded to two significant digits of their gap (so the log
 * reads 11000, not 10817), or null when no such rate is strictly between them.
 */
export const midpoint = (low: number, high: number): number | null => {
  const unit = 10 ** Math.max(0, Math.floor(Math.log10(high - low)) - 1);
  const mid = Math.round((low + high) / 2 / unit) * unit;
  return mid > low && mid < high ? mid : null;
};

/**
 * The rates a ramp tries, as a generator that is told after each whether it passed: up `rates`
 * until one fails, then `bisections` midpoints between the last pass (0 if none) and the first
 * fail. Returns the bracket: the highest rate that passed and the lowest that failed.
 */
export function* rateSearch(
  rates: readonly number[],
  bisections: number = BISECTIONS,
): Generator<number, { pass: number | null; fail: number | null }, boolean> {
  let pass: number | null = null;
  let fail: number | null = null;
  for (const rate of rates) {
    if (yield rate) pass = rate;
    else {
      fail = rate;
      break;
    }
  }
  if (fail === null) return { pass, fail };
  for (let i = 0; i < bisections; i++) {
    const mid = midpoint(pass ?? 0, fail);
    if (mid === null) break;
    if (yield mid) pass = mid;
    else fail = mid;
  }
  return { pass, fail };
}

/**
 * Runs the search of `rateSearch` with real steps: a failing step is tried once more after a
 * pause (one retry absorbs a noisy moment on a shared machine) and counts as failed only if the
 * retry fails too. Stops early when the time budget is spent.
 */
export const ramp = async (
  rates: readonly number[],
  step: (rate: number) => Promise<StepResult>,
  budgetMs: number,
  log: (s: StepResult) => void,
  bisections: number = BISECTIONS,
): Promise<RampResult> => {
  const steps: StepResult[] = [];
  let best: StepResult | null = null;
  let failedSendRate: number | null = null;
  let outOfTime = false;
  const deadline = performance.now() + budgetMs;
  const search = rateSearch(rates, bisections);
  for (let next = search.next(); !next.done; ) {
    if (performance.now() > deadline) {
      outOfTime = true;
      break;
    }
    const rate = next.value;
    let result = await step(rate);
    log(result);
    steps.push(result);
    if (!result.pass && result.closedClients === 0 && performance.now() < deadline) {
      await sleep(1000); // let the backlog drain, then try the same rate once more
      result = await step(rate);
      log(result);
      steps.push(result);
    }
    if (result.pass) {
      if (best === null || result.delivered > best.delivered) best = result;
    } else if (failedSendRate === null || rate < failedSendRate) failedSendRate = rate;
    next = search.next(result.pass);
    // After a failure the next rate is lower: its step must not start on this one's backlog.
    if (!next.done) await sleep(result.pass ? 200 : 1000);
  }
  return {
    steps,
    maxDelivered: best?.delivered ?? 0,
    maxSendRate: best?.sendRate ?? 0,
    failedSendRate,
    stoppedBy: failedSendRate !== null ? "p99" : outOfTime ? "budget" : "top",
    generatorCpuAtStop: steps.at(-1)?.generatorCpu ?? null,
  };
};

/**
 * What a half-saturation step's rate is half of: `saturation`, the highest rate the server passed
 * below one it failed (its own limit); `floor`, the highest rate passed when the ramp stopped
 * without a failure (its top, or the time budget), so the server's limit is higher and the step
 * is at half of what the generator drove, not of the server's saturation; `given`, a rate from
 * the command line (`--workloads half`). The report also treats a `saturation` as a floor when the
 * ramp's figure is the generator's ceiling (`markGeneratorBound`).
 */
export type HalfBasis = "saturation" | "floor" | "given";

export const halfOf = (r: RampResult): { rate: number; basis: HalfBasis; of: RampTop | null } | null => {
  if (r.maxSendRate <= 0) return null;
  const top = r.steps.find((s) => s.pass && s.sendRate === r.maxSendRate);
  return {
    rate: Math.max(1, Math.round(r.maxSendRate / 2)),
    basis: r.stoppedBy === "p99" ? "saturation" : "floor",
    of: top ? { sendRate: top.sendRate, serverCpu: top.serverCpu } : null,
  };
};

/**
 * The ramp step a half step halves, and the server's CPU there (cores): for a floor, rate ÷ CPU is
 * where the server's core would be full, an estimate of the saturation the generator could not reach.
 */
export interface RampTop {
  sendRate: number;
  serverCpu: number;
}

/** A half-saturation step and what its rate is half of. */
export interface HalfStep {
  step: StepResult;
  basis: HalfBasis;
  of?: RampTop | null;
}
