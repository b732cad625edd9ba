// Preloaded into a server by bench/tools/tail-probe.ts (NODE_OPTIONS=--import): with PROBE_OUT, its GC pauses
// and event-loop delay, one JSON line per second into that file. PROBE_TRACE_GC=1 (or nvp) turns on V8's
// --trace-gc (--trace-gc-nvp) on the server's stdout (BENCH_SERVER_STDOUT); PROBE_V8_FLAGS sets V8 flags at
// start, for a flag NODE_OPTIONS refuses (e.g. --no-parallel-scavenge).
import { appendFileSync } from "node:fs";
import { constants, monitorEventLoopDelay, PerformanceObserver } from "node:perf_hooks";
import { setFlagsFromString } from "node:v8";
import { isMainThread } from "node:worker_threads";

const out = process.env.PROBE_OUT;
if (isMainThread && process.env.PROBE_V8_FLAGS) setFlagsFromString(process.env.PROBE_V8_FLAGS);
if (out && isMainThread) {
  if (process.env.PROBE_TRACE_GC)
    setFlagsFromString(process.env.PROBE_TRACE_GC === "nvp" ? "--trace-gc-nvp" : "--trace-gc");
  const kinds = {
    [constants.NODE_PERFORMANCE_GC_MAJOR]: "major",
    [constants.NODE_PERFORMANCE_GC_MINOR]: "minor",
    [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: "incr",
    [constants.NODE_PERFORMANCE_GC_WEAKCB]: "weak",
  };
  let gcs = [];
  new PerformanceObserver((list) => {
    for (const e of list.getEntries())
      gcs.push([kinds[e.detail?.kind ?? e.kind] ?? String(e.detail?.kind), Math.round(e.duration * 100) / 100]);
  }).observe({ entryTypes: ["gc"] });
  const eld = monitorEventLoopDelay({ resolution: 1 });
  eld.enable();
  const t = setInterval(() => {
    const m = process.memoryUsage();
    appendFileSync(
      out,
      `${JSON.stringify({
        t: Date.now(),
        pid: process.pid,
        eldP50: eld.percentile(50) / 1e6,
        eldP99: eld.percentile(99) / 1e6,
        eldMax: eld.max / 1e6,
        heapUsed: Math.round(m.heapUsed / 1048576),
        rss: Math.round(m.rss / 1048576),
        gcs,
      })}\n`,
    );
    gcs = [];
    eld.reset();
  }, 1000);
  t.unref();
}
