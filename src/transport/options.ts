import type { ParleyConfig } from "../settings.ts";
import { parseIpList } from "./conn-limits.ts";
import type { GatewayOptions } from "./gateway.ts";
import { parseOriginList } from "./origin.ts";

/**
 * The gateway's limits and policies, read from the settings table; `maxConnections` is the
 * open-connection cap as fitted to the descriptor limit (`connectionCap`, descriptor-limit.ts).
 */
export const gatewayOptions = (config: ParleyConfig, maxConnections: number): Omit<GatewayOptions, "stats"> => ({
  maxPayload: config.maxPayload,
  maxQueueBytes: config.maxQueueBytes,
  origin: {
    allowed: parseOriginList(config.allowedOrigins),
    allowLoopback: config.loopbackOrigins === "allow",
    allowMissing: config.missingOrigin === "allow",
    pagePort: config.port,
  },
  limits: { maxTotal: maxConnections, maxPerIp: config.maxConnectionsPerIp },
  trustedProxies: parseIpList(config.trustedProxies),
  rate: { perSecond: config.rateLimit, burst: config.rateBurst, strikes: config.rateStrikes, hold: config.rateHold },
  heartbeatMs: config.heartbeatMs,
});
