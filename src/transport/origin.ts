/**
 * Cross-site WebSocket hijacking defence. Browsers send `Origin` on every WebSocket handshake
 * and let any page open a socket anywhere, cookies included; the server is the only one who
 * can say no. Checked before the upgrade, so a refused page gets HTTP 403 and no socket.
 */
export interface OriginPolicy {
  /**
   * Origins allowed besides the page's own: exact (`https://chat.example.com`), any port
   * (`http://intranet:*`), or `*` for every origin. `null` allows the opaque origin of
   * `file:` pages and sandboxed frames.
   */
  allowed: readonly string[];
  /** Allow any `http(s)://localhost|127.x.x.x|[::1]` origin, on any port (the Cookbook's setup). */
  allowLoopback: boolean;
  /** Allow handshakes without an `Origin` header (non-browser clients). */
  allowMissing: boolean;
  /** The port Parley serves its page on: a page from there may use the Cookbook port too. */
  pagePort: number;
}

/** Splits a comma-separated setting into trimmed, non-empty, lower-case entries. */
export const parseOriginList = (raw: string): string[] =>
  raw
    .split(",")
    .map((entry) => entry.trim().toLowerCase().replace(/\/+$/, ""))
    .filter(Boolean);

const isLoopbackHost = (hostname: string): boolean =>
  hostname === "localhost" ||
  hostname.endsWith(".localhost") ||
  hostname === "[::1]" ||
  /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);

const defaultPort = (protocol: string): string => (protocol === "https:" || protocol === "wss:" ? "443" : "80");

interface Parsed {
  protocol: string;
  hostname: string;
  port: string;
}

const parseOrigin = (origin: string): Parsed | undefined => {
  try {
    const url = new URL(origin);
    if (url.protocol !== "http:" && url.protocol !== "https:") return undefined;
    return { protocol: url.protocol, hostname: url.hostname, port: url.port || defaultPort(url.protocol) };
  } catch {
    return undefined;
  }
};

/** The `Host` header split into hostname and port (the port defaults like the origin's scheme). */
const parseHost = (host: string, protocol: string): { hostname: string; port: string } | undefined => {
  const match = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(host.trim().toLowerCase());
  if (!match?.[1]) return undefined;
  return { hostname: match[1], port: match[2] ?? defaultPort(protocol) };
};

const matchesEntry = (origin: string, parsed: Parsed | undefined, entry: string): boolean => {
  if (entry === "*" || entry === origin) return true;
  if (!parsed || !entry.endsWith(":*")) return false;
  const base = parseOrigin(`${entry.slice(0, -2)}`);
  return base !== undefined && base.protocol === parsed.protocol && base.hostname === parsed.hostname;
};

/** True when a handshake with this `Origin` (and `Host`) may be upgraded. */
export const originAllowed = (
  originHeader: string | undefined,
  hostHeader: string | undefined,
  policy: OriginPolicy,
): boolean => {
  if (originHeader === undefined || originHeader === "") return policy.allowMissing;
  const origin = originHeader.trim().toLowerCase();
  const parsed = parseOrigin(origin);
  if (policy.allowed.some((entry) => matchesEntry(origin, parsed, entry))) return true;
  if (!parsed) return false; // "null" and other opaque origins only via the allowlist
  if (policy.allowLoopback && isLoopbackHost(parsed.hostname)) return true;
  const host = hostHeader ? parseHost(hostHeader, parsed.protocol) : undefined;
  if (!host || host.hostname !== parsed.hostname) return false;
  // The page's own origin: same host and port as this request, or Parley's page port on the same host.
  return host.port === parsed.port || parsed.port === String(policy.pagePort);
};
