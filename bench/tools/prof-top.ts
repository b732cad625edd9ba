/**
 * Prints the functions with the most self time in a V8 `.cpuprofile` (from `--cpu-prof`).
 * Usage: node --import tsx bench/tools/prof-top.ts FILE [N]
 */
import { readFileSync } from "node:fs";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** The `n` functions with most self time, as shares of the busy (non-idle) time. */
export const topFunctions = (file: string, n: number): string => {
  const profile = JSON.parse(readFileSync(file, "utf8")) as Profile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const frame = byId.get(id)?.callFrame;
    const dt = profile.timeDeltas[i] ?? 0;
    total += dt;
    if (!frame) return;
    const line = frame.lineNumber > 0 ? `:${frame.lineNumber + 1}` : "";
    const where = frame.url ? `${frame.url.replace(/^.*\/(src|node_modules)\//, "$1/")}${line}` : "";
    const key = `${frame.functionName || "(anonymous)"} ${where}`;
    self.set(key, (self.get(key) ?? 0) + dt);
  });
  const idle = self.get("(idle) ") ?? 0;
  self.delete("(idle) ");
  const busy = total - idle;
  const rows = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, n);
  const head = `busy ${(busy / 1e6).toFixed(1)} s of ${(total / 1e6).toFixed(1)} s profiled; shares of busy time:\n`;
  return head + rows.map(([key, us]) => `${((100 * us) / busy).toFixed(1).padStart(5)}%  ${key}\n`).join("");
};

if (process.argv[1]?.endsWith("prof-top.ts")) {
  const [file, n = "25"] = process.argv.slice(2);
  if (!file) throw new Error("usage: prof-top.ts FILE [N]");
  process.stdout.write(topFunctions(file, Number(n)));
}
