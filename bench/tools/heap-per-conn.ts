/**
 * Where idle connections' memory goes: runs Parley (memory store) or the Cookbook port on ws in
 * this process, opens N idle clients from a child process, and diffs two heap snapshots by
 * object kind. Prints bytes per connection. Needs --expose-gc.
 * Usage: node --expose-gc --import tsx bench/tools/heap-per-conn.ts parley|naive [N]
 */
import { spawn } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeHeapSnapshot } from "node:v8";
import { type WebSocket, WebSocketServer } from "ws";
import { loadConfig } from "../../src/config.ts";
import { startParley } from "../../src/server.ts";
import { ROOT } from "../lib/servers.ts";

const which = process.argv[2] ?? "parley";
const count = Number(process.argv[3] ?? 5000);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error("run with --expose-gc");

const startNaive = async (): Promise<{ port: number; close(): Promise<void> }> => {
  const rooms = new Map<string, Map<WebSocket, string>>();
  const wss = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  await new Promise((done) => wss.on("listening", done));
  wss.on("connection", (ws, req) => {
    const table = rooms.get(req.url ?? "/") ?? new Map<WebSocket, string>();
    rooms.set(req.url ?? "/", table);
    table.set(ws, `user-${Math.floor(Math.random() * 100000)}`);
    ws.on("message", (data) => {
      for (const con of table.keys()) con.send(`${table.get(ws)}: ${data}`);
    });
    ws.on("close", () => table.delete(ws));
  });
  return { port: (wss.address() as { port: number }).port, close: async () => wss.close() };
};

const server =
  which === "naive"
    ? await startNaive()
    : await startParley({
        ...loadConfig([], {}),
        host: "127.0.0.1",
        port: 0,
        wsPort: 0,
        store: "memory",
        logLevel: "warn",
        maxConnections: 0,
        maxConnectionsPerIp: 0,
        maxHandshakesPerIp: 0,
        rateLimit: 0,
      }).then((p) => ({ port: p.wsPort, close: () => p.close() }));

type Kinds = Map<string, { count: number; bytes: number }>;
const snapshot = (): Kinds => {
  gc();
  gc();
  const file = writeHeapSnapshot(join(tmpdir(), `parley-heap-${process.pid}-${Date.now()}.heapsnapshot`));
  const snap = JSON.parse(readFileSync(file, "utf8"));
  if (process.env.KEEP_SNAPSHOTS) process.stderr.write(`snapshot ${file}\n`);
  else rmSync(file);
  const fields = snap.snapshot.meta.node_fields as string[];
  const types = snap.snapshot.meta.node_types[0] as string[];
  const [width, type, name, size] = [
    fields.length,
    fields.indexOf("type"),
    fields.indexOf("name"),
    fields.indexOf("self_size"),
  ];
  const kinds: Kinds = new Map();
  for (let i = 0; i < snap.nodes.length; i += width) {
    const key = `${types[snap.nodes[i + type]]}: ${String(snap.strings[snap.nodes[i + name]]).slice(0, 40)}`;
    const kind = kinds.get(key) ?? { count: 0, bytes: 0 };
    kind.count++;
    kind.bytes += snap.nodes[i + size];
    kinds.set(key, kind);
  }
  return kinds;
};

const before = snapshot();
const clients = spawn(
  process.execPath,
  ["--import", "tsx", "-e", `import("./bench/tools/idle-clients.ts").then((m) => m.hold(${server.port}, ${count}))`],
  { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] },
);
await new Promise<void>((done) => clients.stdout.on("data", (d: Buffer) => d.toString().includes("ready") && done()));
await new Promise((done) => setTimeout(done, 1000));
const after = snapshot();
clients.kill();
await server.close();

const rows = [...after].map(([key, a]) => {
  const b = before.get(key) ?? { count: 0, bytes: 0 };
  return { key, count: (a.count - b.count) / count, bytes: (a.bytes - b.bytes) / count };
});
const total = rows.reduce((sum, r) => sum + r.bytes, 0);
process.stdout.write(`${which}: ${total.toFixed(0)} heap bytes per idle connection (${count} in rooms of 10)\n`);
for (const r of rows.sort((x, y) => y.bytes - x.bytes).slice(0, 20)) {
  process.stdout.write(`${r.bytes.toFixed(0).padStart(6)} B ${r.count.toFixed(2).padStart(6)} objects  ${r.key}\n`);
}
process.exit(0);
