import { RawClient, type RawClientOptions } from "./raw-ws.ts";

/** Opens `count` clients, at most `concurrency` handshakes at a time; returns them and the elapsed ms. */
export const connectMany = async (
  count: number,
  concurrency: number,
  make: (index: number) => RawClientOptions,
): Promise<{ clients: RawClient[]; ms: number; failed: number }> => {
  const clients: RawClient[] = new Array(count);
  let next = 0;
  let failed = 0;
  const started = performance.now();
  const lane = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      const client = new RawClient(make(i));
      clients[i] = client;
      try {
        await client.ready;
      } catch {
        failed++;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
  return { clients, ms: performance.now() - started, failed };
};
