/** Opens `count` idle clients in rooms of 10 and keeps them until killed (for heap-per-conn.ts). */
import { connectMany } from "../lib/connect-many.ts";
import { Recorder } from "../lib/raw-ws.ts";

export const hold = async (port: number, count: number): Promise<void> => {
  const recorder = new Recorder();
  const { failed } = await connectMany(count, 50, (i) => ({
    port,
    path: `/chat/r${Math.floor(i / 10)}`,
    dialect: "ws",
    recorder,
  }));
  process.stdout.write(`ready ${count - failed}\n`);
  setInterval(() => {}, 60_000);
};
