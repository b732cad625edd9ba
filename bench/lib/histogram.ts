/**
 * Latency histogram with logarithmic buckets (2% wide) from 1 µs to ~100 s: recording is
 * one Math.log and an increment, so the generator can record every sampled delivery.
 */
const GROWTH = Math.log(1.02);
const BUCKETS = 1000;

export class Histogram {
  private readonly counts = new Uint32Array(BUCKETS);
  count = 0;
  max = 0;

  record(micros: number): void {
    const us = Math.max(micros, 1);
    const i = Math.min(BUCKETS - 1, Math.floor(Math.log(us) / GROWTH));
    this.counts[i] = (this.counts[i] as number) + 1;
    this.count++;
    if (us > this.max) this.max = us;
  }

  /** The value below which `p` percent of samples fall, in milliseconds (bucket upper edge). */
  percentileMs(p: number): number | null {
    if (this.count === 0) return null;
    const rank = Math.ceil((p / 100) * this.count);
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i] as number;
      if (seen >= rank) return Math.min(Math.exp((i + 1) * GROWTH), this.max) / 1000;
    }
    return this.max / 1000;
  }
}

/** Microseconds on a clock every process on this machine shares (epoch based, sub-ms). */
export const nowUs = (): number => (performance.timeOrigin + performance.now()) * 1000;
