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

export const measure = async (name: string, op: () => void, ms = 400): Promise<MicroResult> => {
  for (let i = 0; i < 2000; i++) op(); // warm-up: let V8 optimize the path
  await nextTurn();
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
    if (elapsed >= limit) {
      const ns = Number(elapsed) / ops;
      process.stdout.write(`${name.padEnd(58)} ${ns.toFixed(1).padStart(12)} ns/op\n`);
      return { name, nsPerOp: Math.round(ns * 10) / 10 };
    }
    if (batch < 4096) batch *= 2;
  }
};
