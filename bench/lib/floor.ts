/**
 * What the Node floor (`bench/peers/node-floor.js`: the least a server on Node does) says about a
 * run: its figures ÷ Bun's show how far any Node server can go, and Parley's ÷ its own how much of
 * that Parley keeps. A Parley figure cannot pass the floor's, so where the floor is behind Bun no
 * Node server reaches Bun in that workload.
 */
import { type Entry, PARLEYS, type Workload } from "./report.ts";
import { boundOf } from "./targets.ts";

const WORKLOADS = [
  ["many-rooms", "many rooms"],
  ["connect-rate", "connects"],
  ["idle-memory", "idle memory per connection"],
] as const;

const entry = (ws: Workload[], workload: string, server: string): Entry | undefined =>
  ws.find((w) => w.workload === workload)?.entries.find((e) => e.server === server);

/**
 * `a ÷ b` to two places, "≥ "/"≤ " when a side is only a floor (passed the ramp's top or the
 * generator's ceiling) and so bounds the ratio from one side; null without both figures.
 */
export const boundedRatio = (a: Entry | undefined, b: Entry | undefined, higherIsBetter: boolean): string | null => {
  if (a?.value == null || b?.value == null || b.value === 0) return null;
  if (higherIsBetter && a.floor && b.floor) return null; // both only floors: the ratio says nothing
  const ratio = (Math.round((a.value / b.value) * 100) / 100).toFixed(2);
  const bound = boundOf(higherIsBetter, a.floor, b.floor);
  return `${bound === "lower" ? "≥ " : bound === "upper" ? "≤ " : ""}${ratio}×`;
};

/** The run's floor paragraph for latest.md, or "" when the floor or Bun did not run. */
export const floorNote = (ws: Workload[]): string => {
  const parts: string[] = [];
  for (const [workload, what] of WORKLOADS) {
    const w = ws.find((x) => x.workload === workload);
    const higher = w?.better === "higher";
    const floor = entry(ws, workload, "node-floor");
    const vsBun = boundedRatio(floor, entry(ws, workload, "bun"), higher);
    if (vsBun === null) continue;
    const parleys = PARLEYS.map((p) => {
      const r = boundedRatio(entry(ws, workload, p), floor, higher);
      return r === null ? null : `${p} ${r}`;
    }).filter((s) => s !== null);
    parts.push(`${what}: floor ÷ Bun ${vsBun}${parleys.length > 0 ? `; Parley ÷ floor: ${parleys.join(", ")}` : ""}`);
  }
  if (parts.length === 0) return "";
  return (
    "**The Node floor** (`bench/peers/node-floor.js`: `node:net`, no ws, no store, no limits; the least a server on " +
    `Node's sockets does), same run: ${parts.join(". ")}. A server on Node's sockets does at least the floor's work, ` +
    "so where the floor is behind Bun, none reaches Bun.\n\n"
  );
};
