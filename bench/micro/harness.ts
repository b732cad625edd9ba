/**
 * A tiny timing loop: warm up, then run batches until ~`ms` have passed; prints ns per op.
 * Between batches it yields to the event loop, so callbacks a hot path schedules (Parley's
 * `setImmediate` flushes) run rather than pile up; only the time inside batches is counted.
 */
import { setImmediate as nextTurn } from "node:timers/promises";

export interface MicroResult {
  name: string;
  nsPerOp: number;
}

/** Times `op` twice and reports the faster: a case's first timing can carry one-off costs. */
export const measure = async (name: string, op: () => void, ms = 300): Promise<MicroResult> => {
  const first = await timeOnce(op, ms);
  const second = await timeOnce(op, ms);
  const ns = Math.min(first, second);
  process.stdout.write(`${name.padEnd(58)} ${ns.toFixed(1).padStart(12)} ns/op\n`);
  return { name, nsPerOp: Math.round(ns * 10) / 10 };
};

const timeOnce = async (op: () => void, ms: number): Promise<number> => {
  // Warm-up long enough for V8 to tier the path up to optimized code (a fixed few thousand
  // calls is not: the first case measured would pay for the compiler).
  const warmUntil = performance.now() + 200;
  while (performance.now() < warmUntil) {
    for (let i = 0; i < 256; i++) op();
    await nextTurn();
  }
  let ops = 0;
  let batch = 16;
  let elapsed = 0n;
  const limit = BigInt(ms) * 1_000_000n;
  for (;;) {
    const started = process.hrtime.bigint();
    for (let i = 0; i < batch; i++) op();
    elapsed += process.hrtime.bigint() - started;
    ops += batch;
    await nextTurn();
    if (elapsed >= limit) return Number(elapsed) / ops;
    if (batch < 4096) batch *= 2;
  }
};
