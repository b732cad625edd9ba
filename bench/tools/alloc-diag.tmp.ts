import { spawn } from "node:child_process";
import { Session } from "node:inspector/promises";
import { loadConfig } from "../../src/config.ts";
import { startParley } from "../../src/server.ts";
import { ROOT } from "../lib/servers.ts";

const major = process.argv[2] === "major";
const count = Number(process.argv[3] ?? 10000);
const gc = (globalThis as { gc?: () => void }).gc as () => void;
const p = await startParley({
  ...loadConfig([], {}),
  host: "127.0.0.1",
  port: 0,
  wsPort: 0,
  store: "memory",
  logLevel: "warn",
  maxConnections: 0,
  maxConnectionsPerIp: 0,
  rateLimit: 0,
});
await new Promise((d) => setTimeout(d, 1000));
gc();
const s = new Session();
s.connect();
await s.post("HeapProfiler.startSampling", {
  samplingInterval: 2048,
  includeObjectsCollectedByMajorGC: major,
  includeObjectsCollectedByMinorGC: false,
} as never);
const clients = spawn(
  process.execPath,
  ["--import", "tsx", "-e", `import("./bench/tools/idle-clients.ts").then((m) => m.hold(${p.wsPort}, ${count}))`],
  { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] },
);
await new Promise<void>((done) => clients.stdout.on("data", (d: Buffer) => d.toString().includes("ready") && done()));
await new Promise((d) => setTimeout(d, 1500));
gc();
const { profile } = (await s.post("HeapProfiler.stopSampling")) as { profile: { head: Node } };
interface Node {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: Node[];
}
const by = new Map<string, number>();
const walk = (n: Node, stack: string[]) => {
  const f = `${n.callFrame.functionName || "(anon)"} ${n.callFrame.url.replace(/^.*\/(src|node_modules|bench)\//, "$1/").replace("node:internal/", "")}:${n.callFrame.lineNumber + 1}`;
  const st = [f, ...stack].slice(0, 3);
  if (n.selfSize) by.set(st.join(" < "), (by.get(st.join(" < ")) ?? 0) + n.selfSize);
  for (const c of n.children) walk(c, st);
};
walk(profile.head, []);
let total = 0;
for (const v of by.values()) total += v;
console.log(`${major ? "live+promoted-garbage" : "live"}: ${(total / count).toFixed(0)} B/conn sampled`);
for (const [k, v] of [...by].sort((a, b) => b[1] - a[1]).slice(0, 40))
  console.log(`${(v / count).toFixed(0).padStart(6)} ${k.slice(0, 230)}`);
clients.kill();
process.exit(0);
