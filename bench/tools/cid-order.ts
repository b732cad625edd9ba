/**
 * What a cid's shape costs the SQLite store: the (room, cid) index takes a random page per row
 * for wholly random cids, the room's last page for time-ordered ones (the SDK's `newCid`). Fills
 * a store with 200,000 messages in ROOMS rooms, then times 16,000 more in batches of 16 (process
 * CPU: both threads and the kernel). Run the two shapes alternately and compare medians.
 * Usage: node --import tsx bench/tools/cid-order.ts random|ordered [ROOMS]
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { SqliteStore } from "../../src/store/sqlite.ts";
import { ROOT } from "../lib/servers.ts";

const shape = process.argv[2] === "ordered" ? "ordered" : "random";
const rooms = Number(process.argv[3] ?? 1);
mkdirSync(join(ROOT, "bench/results/raw"), { recursive: true });
const dir = mkdtempSync(join(ROOT, "bench/results/raw/cid-"));
const store = new SqliteStore({
  file: join(dir, "bench.db"),
  retention: { maxMessagesPerRoom: 1_000_000, maxAgeMs: 0 },
  synchronous: "full",
});
const cid = (): string =>
  shape === "random"
    ? randomBytes(16).toString("hex")
    : Date.now().toString(16).padStart(12, "0") + randomBytes(10).toString("hex");
let n = 0;
const say = () => {
  n++;
  return store.append({
    room: `r${n % rooms}`,
    nick: "n",
    text: `hello ${n % 997} ${"x".repeat(48)}`,
    ts: n,
    cid: cid(),
  });
};
for (let i = 0; i < 200_000; i += 500) await Promise.all(Array.from({ length: 500 }, say));
const size = 16;
const appends = 16_000;
const cpu = process.cpuUsage();
for (let i = 0; i < appends; i += size) await Promise.all(Array.from({ length: size }, say));
const used = process.cpuUsage(cpu);
process.stdout.write(
  `${shape} cids, ${rooms} room(s): ${((used.user + used.system) / appends).toFixed(1)} µs CPU per append ` +
    `(system ${(used.system / appends).toFixed(1)})\n`,
);
await store.close();
rmSync(dir, { recursive: true, force: true });
