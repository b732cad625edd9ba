import { isIP } from "node:net";

export interface ConnectionLimitOptions {
  /** Open connections in all (0: no limit); past it, 503. */
  maxTotal: number;
  /** Open connections from one client address (0: no limit); past it, 429. */
  maxPerIp: number;
}

/** `ok`: a slot is taken, given back with `release(ip)` exactly once. */
export type Admission = { ok: true } | { ok: false; status: 429 | 503; message: string; retryAfterSeconds: number };

/** The one answer for every admitted handshake (no object, let alone a closure, per connection). */
const ADMITTED: Admission = { ok: true };

/**
 * Counts open connections, globally and per client address, so a handshake over a cap can be
 * answered with an HTTP status before any WebSocket exists. A slot is taken at the handshake
 * and released exactly once, when its socket is gone (whatever way it went): the caller's duty.
 */
export class ConnectionLimits {
  private total = 0;
  private readonly perIp = new Map<string, number>();

  private readonly options: ConnectionLimitOptions;

  constructor(options: ConnectionLimitOptions) {
    this.options = options;
  }

  get open(): number {
    return this.total;
  }

  admit(ip: string): Admission {
    const { maxTotal, maxPerIp } = this.options;
    if (maxTotal > 0 && this.total >= maxTotal) {
      return { ok: false, status: 503, message: "The server is full; try again later.", retryAfterSeconds: 5 };
    }
    const mine = this.perIp.get(ip) ?? 0;
    if (maxPerIp > 0 && mine >= maxPerIp) {
      return {
        ok: false,
        status: 429,
        message: `Too many connections from your address (at most ${maxPerIp}).`,
        retryAfterSeconds: 5,
      };
    }
    this.total++;
    this.perIp.set(ip, mine + 1);
    return ADMITTED;
  }

  /** Gives back a slot `admit` handed out for `ip`: exactly once per slot. */
  release(ip: string): void {
    this.total--;
    const left = (this.perIp.get(ip) ?? 1) - 1;
    if (left > 0) this.perIp.set(ip, left);
    else this.perIp.delete(ip);
  }
}

/** `::ffff:1.2.3.4` and `1.2.3.4` are one client. */
export const normalizeIp = (ip: string): string => {
  const lower = ip.trim().toLowerCase();
  return lower.startsWith("::ffff:") && isIP(lower.slice(7)) === 4 ? lower.slice(7) : lower;
};

/**
 * The client's address. `X-Forwarded-For` is believed only when the peer is a trusted proxy:
 * then the right-most address not itself a trusted proxy is the client (the left part of the
 * header is whatever the client chose to send).
 */
export const clientIp = (
  peer: string,
  forwardedFor: string | string[] | undefined,
  trustedProxies: ReadonlySet<string>,
): string => {
  let ip = normalizeIp(peer);
  if (!trustedProxies.has(ip) || forwardedFor === undefined) return ip;
  const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(",") : forwardedFor)
    .split(",")
    .map(normalizeIp)
    .filter((hop) => isIP(hop) !== 0);
  for (let i = hops.length - 1; i >= 0; i--) {
    ip = hops[i] as string;
    if (!trustedProxies.has(ip)) return ip;
  }
  return ip;
};

export const parseIpList = (raw: string): Set<string> =>
  new Set(
    raw
      .split(",")
      .map(normalizeIp)
      .filter((ip) => ip !== ""),
  );
