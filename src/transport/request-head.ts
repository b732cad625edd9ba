import type { IncomingHttpHeaders } from "node:http";
import type { Socket } from "node:net";

/**
 * A request head read off a raw socket (the WebSocket port, head-server.ts): strict RFC 9112 request
 * line and header fields, CRLF only, no obs-fold. What Parley needs for an upgrade and nothing more:
 * no body, no chunking, no keep-alive.
 */
export interface RequestHead {
  method: string;
  url: string;
  httpVersion: "1.0" | "1.1";
  /** Lower-cased names, duplicates merged as node:http merges them. */
  headers: IncomingHttpHeaders;
}

/** What the gateway reads of an upgrade request: node:http's IncomingMessage, or head-server.ts's own. */
export interface UpgradeRequest {
  readonly method?: string | undefined;
  readonly url?: string | undefined;
  readonly headers: IncomingHttpHeaders;
  readonly socket: Socket;
}

/** Why a head was refused: 400 for anything malformed (as node:http answers a parse error). */
export class HeadError extends Error {}

const TOKEN = "[!#$%&'*+\\-.^_`|~0-9A-Za-z]+";
// request-target: visible ASCII only (no spaces, controls or raw non-ASCII bytes).
const REQUEST_LINE = new RegExp(`^(${TOKEN}) ([!-~]+) HTTP/1\\.([01])$`);
const FIELD = new RegExp(`^(${TOKEN}):[ \\t]*(.*?)[ \\t]*$`);
/** field-value: visible characters, SP, HTAB, obs-text (0x80-0xFF as latin1); no other controls (CR, LF, NUL, DEL…). */
const hasControl = (value: string): boolean => {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09) || c === 0x7f) return true;
  }
  return false;
};
/** node:http keeps the first of these when a request repeats them (_http_incoming.js matchKnownFields). */
const FIRST_WINS = new Set([
  "content-type",
  "content-length",
  "user-agent",
  "referer",
  "host",
  "authorization",
  "proxy-authorization",
  "if-modified-since",
  "if-unmodified-since",
  "from",
  "location",
  "max-forwards",
  "retry-after",
  "etag",
  "last-modified",
  "server",
  "age",
  "expires",
]);

/**
 * Parses `head`: the bytes before the blank line that ends a request's headers (without that
 * CRLFCRLF). Throws HeadError on anything RFC 9112 does not allow.
 */
export const parseRequestHead = (head: Buffer): RequestHead => {
  const lines = head.toString("latin1").split("\r\n");
  const requestLine = REQUEST_LINE.exec(lines[0] ?? "");
  if (!requestLine) throw new HeadError("Malformed request line");
  const headers: Record<string, string | string[]> = Object.create(null);
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] as string;
    const field = FIELD.exec(line);
    // A line starting with SP/HTAB (obs-fold), a space before the colon, no colon: all 400.
    if (!field) throw new HeadError("Malformed header field");
    const value = field[2] as string;
    if (hasControl(value)) throw new HeadError("Control character in a header value");
    const name = (field[1] as string).toLowerCase();
    const had = headers[name];
    if (had === undefined) headers[name] = name === "set-cookie" ? [value] : value;
    else if (Array.isArray(had)) had.push(value);
    else if (!FIRST_WINS.has(name)) headers[name] = `${had}${name === "cookie" ? "; " : ", "}${value}`;
  }
  return {
    method: requestLine[1] as string,
    url: requestLine[2] as string,
    httpVersion: requestLine[3] === "0" ? "1.0" : "1.1",
    headers: headers as IncomingHttpHeaders,
  };
};

/** True when node:http would have emitted 'upgrade': an Upgrade header and `upgrade` among Connection's tokens. */
export const asksUpgrade = (headers: IncomingHttpHeaders): boolean =>
  headers.upgrade !== undefined &&
  (headers.connection ?? "").split(",").some((token) => token.trim().toLowerCase() === "upgrade");
