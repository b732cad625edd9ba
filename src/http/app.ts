import type { IncomingMessage, ServerResponse } from "node:http";
import { ConfigError } from "../config.ts";
import { isFileRoute } from "../files/http.ts";
import { type Asset, clientAssets } from "./client-assets.ts";

export interface HttpAppOptions {
  /** Resolves when store and broker answer; rejects when one does not. */
  ready: () => Promise<void>;
  /** `/metrics`: the Prometheus text exposition. */
  metrics?: { contentType: string; render(): Promise<string> };
  /** `/admin` and `/admin/api/...`; absent (404) unless an admin token is configured. */
  admin?: (req: IncomingMessage, res: ServerResponse) => void;
  /** `POST /api/v1/rooms/{room}/files` and `/files/{id}`: uploads streamed, downloads (docs/files.md). */
  files?: (req: IncomingMessage, res: ServerResponse) => void;
  /** `/api/v1/...`: the HTTP API (its own problem documents and methods). */
  api?: (req: IncomingMessage, res: ServerResponse) => void;
  /** What the page is told by `/parley-config.json`: where it gets a sign-in token, and whether it needs one. */
  page?: { authTokenUrl: string; auth: "off" | "optional" | "required" };
}

const SECURITY_HEADERS = {
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
  "X-Frame-Options": "DENY",
} as const;

// The page connects to its own origin only (and to the token endpoint, when one is set); no inline script. Images:
// its own, data: (small avatars), and https: for the pictures sign-in tokens name (loaded with no referrer).
const pageCsp = (connect: string) =>
  `default-src 'none'; script-src 'self'; style-src 'self'; connect-src ${connect}; img-src 'self' data: https:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;

/** A part Parley needs does not work: `part` names it (`store`, `broker`, `presence`). */
export class NotReady extends Error {
  readonly part: string;

  constructor(part: string, cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause));
    this.part = part;
    this.name = "NotReady";
  }
}

/** Runs every part's check at once; rejects with the first part that fails, named. */
export const readiness = (checks: Record<string, () => Promise<void>>) => async (): Promise<void> => {
  await Promise.all(
    Object.entries(checks).map(([part, check]) =>
      Promise.resolve()
        .then(check)
        .catch((error: unknown) => {
          throw new NotReady(part, error);
        }),
    ),
  );
};

/** The origin the page may fetch a token from, besides its own; throws a clear error for a URL that cannot work. */
export const tokenUrlOrigin = (authTokenUrl: string): string | undefined => {
  if (authTokenUrl === "" || authTokenUrl.startsWith("/")) return undefined;
  let url: URL;
  try {
    url = new URL(authTokenUrl);
  } catch {
    throw new ConfigError(
      `--auth-token-url ${authTokenUrl}: not a URL (give https://… or a /path on Parley's origin).`,
    );
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new ConfigError(`--auth-token-url ${authTokenUrl}: must be http(s).`);
  }
  return url.origin;
};

/** Plain HTTP: the page, its assets, health. WebSocket upgrades never reach this. */
export const createHttpApp = (options: HttpAppOptions) => {
  const assets = clientAssets();
  assets.catch(() => {}); // reported on the request that needs them
  const tokenOrigin = tokenUrlOrigin(options.page?.authTokenUrl ?? "");
  const csp = pageCsp(tokenOrigin ? `'self' ${tokenOrigin}` : "'self'");
  const pageConfig = `${JSON.stringify({ authTokenUrl: options.page?.authTokenUrl || null, auth: options.page?.auth ?? "off" })}\n`;

  return (req: IncomingMessage, res: ServerResponse): void => {
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    for (const [key, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(key, value);
    if (options.admin && (path === "/admin" || path.startsWith("/admin/"))) {
      options.admin(req, res);
      return;
    }
    if (options.files && isFileRoute(path)) {
      options.files(req, res);
      return;
    }
    if (options.api && path.startsWith("/api/")) {
      options.api(req, res);
      return;
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      send(res, 405, "text/plain; charset=utf-8", "Method not allowed\n", { Allow: "GET, HEAD" });
      return;
    }
    if (path === "/healthz") {
      send(res, 200, "application/json", `${JSON.stringify({ status: "ok" })}\n`);
      return;
    }
    if (path === "/metrics" && options.metrics) {
      const { metrics } = options;
      metrics.render().then(
        (body) => send(res, 200, metrics.contentType, body, { "Cache-Control": "no-store" }),
        (error: unknown) => send(res, 500, "text/plain; charset=utf-8", `metrics failed: ${String(error)}\n`),
      );
      return;
    }
    if (path === "/readyz") {
      options.ready().then(
        () => send(res, 200, "application/json", `${JSON.stringify({ status: "ready" })}\n`),
        (error: unknown) => {
          const why = error instanceof NotReady ? { part: error.part, error: error.message } : { error: String(error) };
          send(res, 503, "application/json", `${JSON.stringify({ status: "unavailable", ...why })}\n`);
        },
      );
      return;
    }
    if (path === "/parley-config.json") {
      send(res, 200, "application/json", req.method === "HEAD" ? "" : pageConfig, { "Cache-Control": "no-cache" });
      return;
    }
    if (path === "/chat" || path.startsWith("/chat/")) {
      send(res, 426, "text/plain; charset=utf-8", "This is a WebSocket endpoint.\n", { Upgrade: "websocket" });
      return;
    }
    assets.then(
      (files) => serveAsset(req, res, files.get(path), csp),
      (error: unknown) =>
        send(res, 500, "text/plain; charset=utf-8", `The page could not be built: ${String(error)}\n`),
    );
  };
};

const serveAsset = (req: IncomingMessage, res: ServerResponse, found: Asset | undefined, csp: string): void => {
  if (!found) {
    send(res, 404, "text/plain; charset=utf-8", "Not found\n");
    return;
  }
  const extra: Record<string, string> = { "Cache-Control": "no-cache", ...found.headers };
  if (found.type.startsWith("text/html")) extra["Content-Security-Policy"] = csp;
  send(res, 200, found.type, req.method === "HEAD" ? "" : found.body, extra);
};

const send = (
  res: ServerResponse,
  status: number,
  type: string,
  body: string | Buffer,
  headers: Record<string, string> = {},
): void => {
  res.writeHead(status, { "Content-Type": type, "Content-Length": Buffer.byteLength(body), ...headers });
  res.end(body);
};
