import { Redis } from "ioredis";

/**
 * Deletes every key under `prefix` (a run's own, as given to `--redis-prefix`), so the bench and
 * the tests leave the shared Redis as they found it.
 */
export const deleteKeysUnder = async (url: string, prefix: string): Promise<void> => {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  redis.on("error", () => {});
  try {
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== "0");
  } finally {
    redis.disconnect();
  }
};
