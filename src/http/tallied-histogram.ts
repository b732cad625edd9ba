import {
  Histogram,
  type HistogramConfiguration,
  type MetricObjectWithValues,
  type MetricType,
  type MetricValueWithName,
} from "prom-client";

type Exported = MetricObjectWithValues<MetricValueWithName<string>>;

/**
 * A prom-client histogram without labels whose observations are tallied in plain arrays. Its own
 * `observe` makes a closure and two objects and keys its buckets by the fractional bound, which
 * V8 handles in its runtime (`hasOwnProperty` and a keyed store: ~1.2k instructions, ~360 ns an
 * observation); Parley observes twice per message (bench/results/profiles.md). The registry reads
 * the tallies at scrape: the same text exposition as prom-client's own histogram (after a
 * `reset` it shows zeros where prom-client's shows no samples until the next observation).
 */
export class TalliedHistogram extends Histogram<string> {
  private readonly metricName: string;
  private readonly metricHelp: string;
  /** Upper bounds, ascending; `counts` has one more slot, for values above the last (+Inf). */
  private readonly bounds: readonly number[];
  private readonly counts: number[];
  private sum = 0;

  constructor(config: HistogramConfiguration<string> & { buckets: number[] }) {
    super(config);
    this.metricName = config.name;
    this.metricHelp = config.help;
    this.bounds = [...config.buckets].sort((a, b) => a - b);
    this.counts = new Array<number>(this.bounds.length + 1).fill(0);
  }

  /** One observation (`observe` of prom-client stays as it is, unused by Parley). */
  tally(value: number): void {
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > (bounds[i] as number)) i++;
    this.counts[i] = (this.counts[i] as number) + 1;
    this.sum += value;
  }

  override async get(): Promise<Exported> {
    return this.exported();
  }

  /** What prom-client's registry asks a histogram for when it writes the text exposition. */
  async getForPromString(): Promise<Exported> {
    return this.exported();
  }

  override reset(): void {
    super.reset();
    // prom-client's constructor resets before this class's fields exist
    this.counts?.fill(0);
    this.sum = 0;
  }

  private exported(): Exported {
    const bucket = `${this.metricName}_bucket`;
    const values: MetricValueWithName<string>[] = [];
    let cumulative = 0;
    this.bounds.forEach((le, i) => {
      cumulative += this.counts[i] as number;
      values.push({ labels: { le }, value: cumulative, metricName: bucket });
    });
    const count = cumulative + (this.counts[this.bounds.length] as number);
    values.push({ labels: { le: "+Inf" }, value: count, metricName: bucket });
    values.push({ labels: {}, value: this.sum, metricName: `${this.metricName}_sum` });
    values.push({ labels: {}, value: count, metricName: `${this.metricName}_count` });
    // prom-client's typings declare `type` as a numeric enum (its code and registry use the string)
    // and a `collect` its own histogram's answer does not carry (nothing reads it there).
    const type = "histogram" as unknown as MetricType;
    return { name: this.metricName, help: this.metricHelp, type, values, aggregator: "sum", collect: () => undefined };
  }
}
