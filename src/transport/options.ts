import type { ParleyConfig } from "../settings.ts";
import { parseIpList } from "./conn-limits.ts";
import { connectionCap, type OpenFilesLimit } from "./descriptor-limit.ts";
import type { GatewayOptions } from "./gateway.ts";
import { parseOriginList } from "./origin.ts";

/**
 * The gateway's limits and policies, read from the settings table; the open-connection cap is
 * lowered to what the process's descriptor limit (`openFiles`) can hold.
 */
export const gatewayOptions = (
  config: ParleyConfig,
  openFiles: OpenFilesLimit | null,
): Omit<GatewayOptions, "stats"> => ({
  maxPayload: config.maxPayload,
  maxQueueBytes: config.maxQueueBytes,
  origin: {
    allowed: parseOriginList(config.allowedOrigins),
    allowLoopback: config.loopbackOrigins === "allow",
    allowMissing: config.missingOrigin === "allow",
    pagePort: config.port,
  },
  limits: { maxTotal: connectionCap(config.maxConnections, openFiles).cap, maxPerIp: config.maxConnectionsPerIp },
  trustedProxies: parseIpList(config.trustedProxies),
  rate: { perSecond: config.rateLimit, burst: config.rateBurst, strikes: config.rateStrikes, hold: config.rateHold },
  heartbeatMs: config.heartbeatMs,
});
