import { MemoryBroker } from "../../src/broker/memory.ts";
import { RedisBroker } from "../../src/broker/redis.ts";
import { OwnRedis, redisPrefix, skipReason, uniqueName } from "../helpers/engines.ts";
import { brokerSuite } from "../shared/broker-suite.ts";

brokerSuite({
  name: "memory",
  multiNode: false,
  cluster: async () => ({ node: () => new MemoryBroker(), cleanup: async () => {} }),
});

// A redis-server of this test's own, so it can be restarted without touching the shared one.
let redis: OwnRedis | undefined;
brokerSuite({
  name: "Redis",
  multiNode: true,
  skip: () =>
    skipReason(async () => {
      try {
        redis = await OwnRedis.start();
        return null;
      } catch (error) {
        return `could not start redis-server (${String(error)})`;
      }
    }),
  cluster: async () => {
    const { prefix } = redisPrefix();
    const url = (redis as OwnRedis).url;
    return {
      node: () => new RedisBroker({ url, prefix, nodeId: uniqueName("node") }),
      cleanup: async () => redis?.stop(),
    };
  },
  restart: async () => {
    await redis?.stop();
    await redis?.start();
  },
});
