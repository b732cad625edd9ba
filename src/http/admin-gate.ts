import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { clientIp } from "../transport/conn-limits.ts";
import type { AdminThrottle } from "./admin-throttle.ts";
import type { AdminRefusal } from "./metrics.ts";

const digest = (value: string): Buffer => createHash("sha256").update(value).digest();

/** Equal-length digests, compared in constant time: neither length nor prefix leaks. */
export const tokenMatches = (header: string | undefined, token: string): boolean => {
  const match = /^Bearer (.+)$/.exec(header ?? "");
  return match !== null && timingSafeEqual(digest(match[1] as string), digest(token));
};

export interface AdminGateOptions {
  token: string;
  throttle: AdminThrottle;
  trustedProxies: ReadonlySet<string>;
  refused?: (reason: AdminRefusal, ip: string) => void;
}

/** Why an admin request was turned away: its address must wait `wait` seconds, or its token is wrong. */
export type AdminTurnedAway = { reason: "throttled"; wait: number } | { reason: "token" };

/**
 * The admin token check every admin route passes (the admin API and its keys): a slowed address
 * gets no answer about its token, right or wrong, until its wait is over. Each refusal is reported.
 */
export const checkAdmin = (
  incoming: IncomingMessage,
  authorization: string | undefined,
  options: AdminGateOptions,
): AdminTurnedAway | undefined => {
  const ip = clientIp(incoming.socket.remoteAddress ?? "", incoming.headers["x-forwarded-for"], options.trustedProxies);
  const wait = options.throttle.retryAfter(ip);
  if (wait > 0) {
    options.refused?.("throttled", ip);
    return { reason: "throttled", wait };
  }
  if (!tokenMatches(authorization, options.token)) {
    options.throttle.failed(ip);
    options.refused?.("token", ip);
    return { reason: "token" };
  }
  options.throttle.succeeded(ip);
  return undefined;
};
