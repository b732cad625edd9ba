import { constants, type PerformanceEntry, PerformanceObserver } from "node:perf_hooks";
import { Histogram, type Registry } from "prom-client";

const NAME = "nodejs_gc_duration_seconds";

const KINDS: Record<number, string> = {
  [constants.NODE_PERFORMANCE_GC_MAJOR]: "major",
  [constants.NODE_PERFORMANCE_GC_MINOR]: "minor",
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: "incremental",
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: "weakcb",
};

/**
 * prom-client's `nodejs_gc_duration_seconds` observes only the first entry of each batch Node
 * delivers (its lib/metrics/gc.js reads `getEntries()[0]`), so under load most collections,
 * mark-compacts included, go uncounted. This takes its place in `registry`, same name, labels and
 * buckets, and counts every entry. Returns what stops it.
 */
export const countEveryGc = (registry: Registry): (() => void) => {
  registry.removeSingleMetric(NAME);
  const histogram = new Histogram({
    name: NAME,
    help: "Garbage collection duration by kind, one of major, minor, incremental or weakcb.",
    labelNames: ["kind"],
    buckets: [0.001, 0.01, 0.1, 1, 2, 5],
    registers: [registry],
  });
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      // A GC entry's `detail` is `{ kind, flags }` (Node's NodeGCPerformanceDetail).
      const detail = (entry as PerformanceEntry & { detail?: { kind?: number } }).detail;
      const kind = KINDS[detail?.kind ?? -1] ?? "unknown";
      histogram.observe({ kind }, entry.duration / 1000);
    }
  });
  observer.observe({ entryTypes: ["gc"] });
  return () => observer.disconnect();
};
