// The V8 flags Parley's server runs with. V8 reads them only at start, so bin/parley.js starts itself
// again with them; the bench gives them to the server it pins to one core (bench/lib/servers.ts).
// Plain JavaScript beside the launcher: it runs before any build or loader.
import { availableParallelism } from "node:os";

/**
 * A young generation of 8 MB a semi-space instead of V8's 64 (V8 sizes it by the machine's memory): a
 * scavenge copies what is still alive, and with 64 MB between scavenges that was 1 to 10 MB (messages a
 * store keeps, what is in flight) in one pause of tens of ms; 8 MB keeps each pause to a fraction of
 * that, and the idle server's RSS 30 MB lower (bench/results/profiles.md, "Tail latency").
 */
export const YOUNG_GENERATION = "--max-semi-space-size=8";

/**
 * With one core (an affinity mask or a container's CPU quota, as `availableParallelism` reads them),
 * V8's GC helper threads take that core from the event loop while they mark and scavenge, and the loop
 * stalls for tens of ms; the GC on the main thread alone costs the same CPU and no such stall
 * (bench/results/profiles.md, "One core: the GC on the main thread").
 */
export const ONE_CORE_GC = "--single-threaded-gc";

/** V8 takes `--a_b` for `--a-b` and `--no-x` to unset `--x`: the flag's name either way. */
const nameOf = (arg) =>
  arg
    .split("=")[0]
    .replaceAll("_", "-")
    .replace(/^--no-/, "--");

/**
 * The flags to add to a server's start, given those it already has (`process.execArgv` and the words
 * of NODE_OPTIONS): one the user set, either way, is left as it is.
 */
export const serverFlags = (given, cores = availableParallelism()) => {
  const named = new Set(given.filter((a) => a.startsWith("--")).map(nameOf));
  const wanted = cores <= 1 ? [YOUNG_GENERATION, ONE_CORE_GC] : [YOUNG_GENERATION];
  return wanted.filter((flag) => !named.has(nameOf(flag)));
};
