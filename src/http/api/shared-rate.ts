import { Redis } from "ioredis";
import { redisOptions } from "../../broker/redis.ts";
import { CallerRate } from "./caller.ts";

/** Per-caller request budgets: seconds to wait, 0 when the request may go. */
export interface RateLimiter {
  /** `cost`: how many requests' worth this one spends (a search costs several). */
  take(who: string, cost?: number): number | Promise<number>;
}

// A token bucket per caller in one Redis hash, updated atomically: every node spends from the same budget.
const TAKE = `
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local need = math.min(tonumber(ARGV[4]), burst)
local bucket = redis.call('HMGET', KEYS[1], 't', 'at')
local tokens = tonumber(bucket[1]) or burst
local at = tonumber(bucket[2]) or now
if now > at then tokens = math.min(burst, tokens + (now - at) / 1000 * rate) end
local wait = 0
if tokens >= need then
  tokens = tokens - need
else
  wait = math.max(1, math.ceil((need - tokens) / rate))
end
redis.call('HSET', KEYS[1], 't', tostring(tokens), 'at', tostring(math.max(now, at)))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return wait
`;

export interface SharedRateOptions {
  url: string;
  prefix: string;
  nodeId: string;
  perSecond: number;
  burst: number;
  /** Told when Redis does not answer (the request then spends from this node's own bucket). */
  report(what: string, error: unknown): void;
}

/**
 * `--api-rate` across a cluster: each key's bucket lives in Redis (`{prefix}apirate:{caller}`,
 * expiring once full again), so a key gets one budget whichever nodes it calls. When Redis does
 * not answer within 250 ms the node limits on its own bucket, so a Redis outage neither blocks
 * the API nor lifts the limit.
 */
export class RedisCallerRate implements RateLimiter {
  private readonly redis: Redis;
  private readonly local: CallerRate;

  private readonly options: SharedRateOptions;

  constructor(options: SharedRateOptions) {
    this.options = options;
    this.redis = new Redis(
      options.url,
      redisOptions({
        connectionName: `parley-apirate-${options.nodeId}`,
        enableOfflineQueue: false,
        maxRetriesPerRequest: 0,
        commandTimeout: 250,
      }),
    );
    this.redis.on("error", () => {}); // each failed take is reported, and served by the local bucket
    this.local = new CallerRate(options.perSecond, options.burst);
  }

  async take(who: string, cost = 1): Promise<number> {
    const { perSecond, burst, prefix } = this.options;
    if (perSecond <= 0) return 0;
    try {
      return Number(await this.redis.eval(TAKE, 1, `${prefix}apirate:${who}`, perSecond, burst, Date.now(), cost));
    } catch (error) {
      this.options.report("api_rate", error);
      return this.local.take(who, cost);
    }
  }

  close(): void {
    this.redis.disconnect();
  }
}
