import { readdirSync, readFileSync } from "node:fs";
import { connectMany, Recorder } from "../lib/raw-ws.ts";
import { SERVERS, type ServerName, sleep, startServer } from "../lib/servers.ts";

const name = process.argv[2] as ServerName;
const total = Number(process.argv[3] ?? 10000);
const server = await startServer(SERVERS[name], "diag");
const probe = async (tag: string) => {
  if (process.env.NOPROBE) return;
  process.kill(server.pid, "SIGUSR2");
  await sleep(1500);
  const files = readdirSync("/tmp/perfdiag")
    .filter((f) => f.startsWith(`probe-${server.pid}-`))
    .sort();
  const j = JSON.parse(readFileSync(`/tmp/perfdiag/${files.at(-1)}`, "utf8"));
  const mb = (x: number) => (x / 1048576).toFixed(1);
  const sp = (s: Record<string, { size: number; used: number }>) =>
    Object.entries(s)
      .filter(([, v]) => v.size > 0)
      .map(([k, v]) => `${k.replace("_space", "")} ${mb(v.size)}/${mb(v.used)}`)
      .join(", ");
  console.log(
    `${tag}: rss ${server.rssKb()} kB | before gc: heapTotal ${mb(j.a.mu.heapTotal)} used ${mb(j.a.mu.heapUsed)} ext ${mb(j.a.mu.external)} ab ${mb(j.a.mu.arrayBuffers)} | ${sp(j.a.spaces)}`,
  );
  console.log(
    `   after gc: heapTotal ${mb(j.b.mu.heapTotal)} used ${mb(j.b.mu.heapUsed)} | ${sp(j.b.spaces)} rss ${mb(j.b.mu.rss)}`,
  );
};
await sleep(1000);
const base = server.rssKb();
await probe("baseline");
const rec = new Recorder();
const opened = await connectMany(total, 100, (i) => ({
  port: server.port,
  path: SERVERS[name].path(`r${Math.floor(i / 10)}`),
  dialect: "ws",
  recorder: rec,
}));
await sleep(2000);
const after = server.rssKb();
console.log(
  `${name}: ${base} -> ${after} kB = ${((after - base) / (total - opened.failed)).toFixed(2)} kB/conn (${opened.failed} failed, ${Math.round(opened.ms)} ms)`,
);
await probe("idle");
await server.stop();
for (const c of opened.clients) c.destroy();
process.exit(0);
