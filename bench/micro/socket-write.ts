/**
 * The floor under a fan-out turn: what one `socket.write` to a loopback TCP socket costs, with
 * 1,000 sockets each taking one 5.5 kB buffer per turn (a turn's worth of 64-byte lines at
 * half of the fan-out ramp's top). Parley's own work per recipient is a pointer push
 * (fanout.ts); this is the kernel's, paid once per socket per turn. A message waits for the
 * turn in progress and then for its own, so p99 in the fan-out bench cannot go below about
 * two of these turns plus the generator's reading.
 */
import { createServer, type Socket, connect as tcpConnect } from "node:net";

const SOCKETS = 1000;
const TURNS = 200;

export const run = async (): Promise<void> => {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const port = (server.address() as { port: number }).port;
  const accepted: Socket[] = [];
  server.on("connection", (socket) => {
    socket.setNoDelay(true);
    accepted.push(socket);
  });
  // The readers drain into one shared buffer, in this process, between turns.
  const shared = Buffer.allocUnsafe(64 * 1024);
  const readers = Array.from({ length: SOCKETS }, () =>
    tcpConnect({ host: "127.0.0.1", port, onread: { buffer: shared, callback: () => true } }),
  );
  while (accepted.length < SOCKETS) await new Promise((done) => setTimeout(done, 10));
  const turn = Buffer.alloc(5500, 0x78);
  let best = Number.POSITIVE_INFINITY;
  for (let round = 0; round < 2; round++) {
    let elapsed = 0n;
    for (let t = 0; t < TURNS; t++) {
      const started = process.hrtime.bigint();
      for (const socket of accepted) socket.write(turn);
      elapsed += process.hrtime.bigint() - started;
      await new Promise((done) => setImmediate(done));
    }
    best = Math.min(best, Number(elapsed) / TURNS);
  }
  process.stdout.write(
    `${"loopback socket.write, 5.5 kB to each of 1,000 sockets".padEnd(58)} ${(best / SOCKETS).toFixed(1).padStart(12)} ns/write  (${(best / 1e6).toFixed(1)} ms a turn)\n`,
  );
  for (const reader of readers) reader.destroy();
  for (const socket of accepted) socket.destroy();
  await new Promise((done) => server.close(done));
};
