/**
 * Every setting in one table: its flag, its environment variable, its default and what it
 * means. `ParleyConfig`, `parley --help` and the README's table are read from here.
 */

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export type Kind = "string" | "port" | "count";

/** The shape of a row; a string setting with `choices` has their union as its type. */
type SettingSpec = {
  key: string;
  flag: string;
  env: `PARLEY_${string}`;
  help: string;
  /** Never echoed back in error messages. */
  secret?: boolean;
  /** A well-known variable read when the PARLEY_ one is not set (REDIS_URL, DATABASE_URL). */
  envAlias?: string;
} & (
  | { kind: "string"; default: string; choices?: readonly string[] }
  | { kind: Exclude<Kind, "string">; default: number }
);

export const SETTINGS = [
  {
    key: "host",
    flag: "host",
    env: "PARLEY_HOST",
    kind: "string",
    default: "0.0.0.0",
    help: "Address to bind both ports to.",
  },
  {
    key: "port",
    flag: "port",
    env: "PARLEY_PORT",
    kind: "port",
    default: 8080,
    help: "HTTP port: the page, /chat WebSocket, health.",
  },
  {
    key: "wsPort",
    flag: "ws-port",
    env: "PARLEY_WS_PORT",
    kind: "port",
    default: 12345,
    help: "The Cookbook's WebSocket port (any path); 0 picks a free one.",
  },
  {
    key: "dataDir",
    flag: "data-dir",
    env: "PARLEY_DATA_DIR",
    kind: "string",
    default: "./data",
    help: "Where the SQLite history file lives.",
  },
  {
    key: "store",
    flag: "store",
    env: "PARLEY_STORE",
    kind: "string",
    default: "auto",
    help: "History store: sqlite, memory or a postgres:// URL; auto: PostgreSQL when DATABASE_URL is set, else sqlite.",
  },
  {
    key: "sqliteSync",
    flag: "sqlite-sync",
    env: "PARLEY_SQLITE_SYNC",
    kind: "string",
    default: "full",
    choices: ["full", "normal"],
    help: "full: an ack survives power loss; normal: survives a crash of Parley.",
  },
  {
    key: "historyLimit",
    flag: "history",
    env: "PARLEY_HISTORY",
    kind: "count",
    default: 50,
    help: "Messages a JSON client gets on joining a room.",
  },
  {
    key: "maxHistoryLimit",
    flag: "max-history",
    env: "PARLEY_MAX_HISTORY",
    kind: "count",
    default: 500,
    help: "Largest history page a client may ask for.",
  },
  {
    key: "retainMessages",
    flag: "retain-messages",
    env: "PARLEY_RETAIN_MESSAGES",
    kind: "count",
    default: 100000,
    help: "Messages kept per room (0: all).",
  },
  {
    key: "retainDays",
    flag: "retain-days",
    env: "PARLEY_RETAIN_DAYS",
    kind: "count",
    default: 0,
    help: "Days a message is kept (0: forever).",
  },
  {
    key: "maxPayload",
    flag: "max-message-bytes",
    env: "PARLEY_MAX_MESSAGE_BYTES",
    kind: "count",
    default: 65536,
    help: "Largest frame a client may send; bigger closes with 1009.",
  },
  {
    key: "maxQueueBytes",
    flag: "max-queue-bytes",
    env: "PARLEY_MAX_QUEUE_BYTES",
    kind: "count",
    default: 1048576,
    help: "Bytes waiting for a slow client before it is closed with 4000.",
  },
  {
    key: "maxRooms",
    flag: "max-rooms",
    env: "PARLEY_MAX_ROOMS",
    kind: "count",
    default: 50,
    help: "Rooms one connection may be in.",
  },
  {
    key: "allowedOrigins",
    flag: "allowed-origins",
    env: "PARLEY_ALLOWED_ORIGINS",
    kind: "string",
    default: "",
    help: "Comma-separated page origins, besides Parley's own, that may open a WebSocket (https://a.example, http://host:*, * for any); others get 403.",
  },
  {
    key: "loopbackOrigins",
    flag: "loopback-origins",
    env: "PARLEY_LOOPBACK_ORIGINS",
    kind: "string",
    default: "allow",
    choices: ["allow", "refuse"],
    help: "allow: pages on localhost, 127.x.x.x and [::1], any port, may open a WebSocket (the Cookbook's setup).",
  },
  {
    key: "missingOrigin",
    flag: "missing-origin",
    env: "PARLEY_MISSING_ORIGIN",
    kind: "string",
    default: "allow",
    choices: ["allow", "refuse"],
    help: "allow: handshakes without an Origin header (non-browser clients) are accepted.",
  },
  {
    key: "maxConnections",
    flag: "max-connections",
    env: "PARLEY_MAX_CONNECTIONS",
    kind: "count",
    default: 10000,
    help: "Open WebSocket connections in all (0: no limit); more are refused with HTTP 503. Lowered at start, with a warning, to what ulimit -n holds (less 128).",
  },
  {
    key: "maxConnectionsPerIp",
    flag: "max-connections-per-ip",
    env: "PARLEY_MAX_CONNECTIONS_PER_IP",
    kind: "count",
    default: 256,
    help: "Open WebSocket connections from one client address (0: no limit); more are refused with HTTP 429.",
  },
  {
    key: "handshakeTimeoutMs",
    flag: "handshake-timeout-ms",
    env: "PARLEY_HANDSHAKE_TIMEOUT_MS",
    kind: "count",
    default: 10000,
    help: "Milliseconds a socket on either port has to send its request headers (or upgrade); then HTTP 408 and closed (0: no deadline).",
  },
  {
    key: "maxHandshakesPerIp",
    flag: "max-handshakes-per-ip",
    env: "PARLEY_MAX_HANDSHAKES_PER_IP",
    kind: "count",
    default: 64,
    help: "Sockets from one client address that have not sent their request headers yet (0: no limit); more get HTTP 429 and are closed.",
  },
  {
    key: "trustedProxies",
    flag: "trusted-proxies",
    env: "PARLEY_TRUSTED_PROXIES",
    kind: "string",
    default: "",
    help: "Comma-separated proxy addresses whose X-Forwarded-For names the client; from anyone else it is ignored.",
  },
  {
    key: "rateLimit",
    flag: "rate-limit",
    env: "PARLEY_RATE_LIMIT",
    kind: "count",
    default: 20,
    help: "Messages per second one connection may send (0: no limit); more wait, in order, with the socket not read (TCP slows the sender).",
  },
  {
    key: "rateBurst",
    flag: "rate-burst",
    env: "PARLEY_RATE_BURST",
    kind: "count",
    default: 40,
    help: "Messages one connection may send at once after a quiet spell.",
  },
  {
    key: "rateStrikes",
    flag: "rate-strikes",
    env: "PARLEY_RATE_STRIKES",
    kind: "count",
    default: 100,
    help: "Refused messages (forgiven at one a second) after which a JSON connection is closed with 1008 (0: never).",
  },
  {
    key: "rateHold",
    flag: "rate-hold",
    env: "PARLEY_RATE_HOLD",
    kind: "count",
    default: 500,
    help: "Messages over the rate one connection may have waiting; past it a text client is closed with 1008, a JSON one gets rate_limited.",
  },
  {
    key: "heartbeatMs",
    flag: "heartbeat-ms",
    env: "PARLEY_HEARTBEAT_MS",
    kind: "count",
    default: 30000,
    help: "Milliseconds between protocol pings; a client that misses a pong is dropped with 4001 (0: no pings).",
  },
  {
    key: "shutdownMs",
    flag: "shutdown-ms",
    env: "PARLEY_SHUTDOWN_MS",
    kind: "count",
    default: 10000,
    help: "Deadline for a graceful shutdown on SIGTERM/SIGINT; past it Parley exits with status 1.",
  },
  {
    key: "config",
    flag: "config",
    env: "PARLEY_CONFIG",
    kind: "string",
    default: "",
    help: "A JSON file of settings, keyed by flag name without --; env and flags override it.",
  },
  {
    key: "logLevel",
    flag: "log-level",
    env: "PARLEY_LOG_LEVEL",
    kind: "string",
    default: "info",
    choices: LOG_LEVELS,
    help: "JSON log lines on stdout at this level and above: fatal, error, warn, info, debug, trace, silent.",
  },
  {
    key: "adminToken",
    flag: "admin-token",
    env: "PARLEY_ADMIN_TOKEN",
    kind: "string",
    default: "",
    secret: true,
    help: "Turns on /admin and /admin/api with this bearer token (16+ characters); prefer the env or the file to a flag.",
  },
  {
    key: "redis",
    flag: "redis",
    env: "PARLEY_REDIS",
    envAlias: "REDIS_URL",
    kind: "string",
    default: "",
    help: "redis:// URL: fan-out and presence across nodes (needs a PostgreSQL store).",
  },
  {
    key: "redisPrefix",
    flag: "redis-prefix",
    env: "PARLEY_REDIS_PREFIX",
    kind: "string",
    default: "parley:",
    help: "Prefix of Parley's Redis keys and channels; one per cluster sharing a Redis.",
  },
  {
    key: "databaseUrl",
    flag: "database-url",
    env: "PARLEY_DATABASE_URL",
    envAlias: "DATABASE_URL",
    kind: "string",
    default: "",
    help: "postgres:// URL of the shared history (same as --store postgres://…).",
  },
  {
    key: "nodeTimeoutMs",
    flag: "node-timeout-ms",
    env: "PARLEY_NODE_TIMEOUT_MS",
    kind: "count",
    default: 10000,
    help: "With --redis: a node silent this long is dead; its members are announced as left.",
  },
  {
    key: "auth",
    flag: "auth",
    env: "PARLEY_AUTH",
    kind: "string",
    default: "auto",
    choices: ["auto", "off", "optional", "required"],
    help: "Signed tokens: off, optional (anonymous clients too) or required (401 without one); auto: optional when a key is set, else off.",
  },
  {
    key: "authSecret",
    flag: "auth-secret",
    env: "PARLEY_AUTH_SECRET",
    kind: "string",
    default: "",
    secret: true,
    help: "HS256 secret (at least 32 bytes) that tokens are signed with; prefer the environment variable to the flag.",
  },
  {
    key: "authPublicKey",
    flag: "auth-public-key",
    env: "PARLEY_AUTH_PUBLIC_KEY",
    kind: "string",
    default: "",
    help: "Path to a PEM public key (RSA: RS256, EC P-256: ES256) that tokens are signed for.",
  },
  {
    key: "authAudience",
    flag: "auth-audience",
    env: "PARLEY_AUTH_AUDIENCE",
    kind: "string",
    default: "",
    help: "When set, a token's aud claim must name it.",
  },
  {
    key: "authIssuer",
    flag: "auth-issuer",
    env: "PARLEY_AUTH_ISSUER",
    kind: "string",
    default: "",
    help: "When set, a token's iss claim must be it.",
  },
  {
    key: "authClockTolerance",
    flag: "auth-clock-tolerance",
    env: "PARLEY_AUTH_CLOCK_TOLERANCE",
    kind: "count",
    default: 5,
    help: "Seconds of clock difference allowed when checking a token's exp (and nbf).",
  },
  {
    key: "privateRooms",
    flag: "private-rooms",
    env: "PARLEY_PRIVATE_ROOMS",
    kind: "string",
    default: "",
    help: "Comma-separated rooms only tokens granting them may join, read or watch; the admin API changes this at run time.",
  },
  {
    key: "typingIntervalMs",
    flag: "typing-interval-ms",
    env: "PARLEY_TYPING_INTERVAL_MS",
    kind: "count",
    default: 3000,
    help: "A user's typing notices in a room are relayed at most once per this many milliseconds.",
  },
  {
    key: "authTokenUrl",
    flag: "auth-token-url",
    env: "PARLEY_AUTH_TOKEN_URL",
    kind: "string",
    default: "",
    help: "Where Parley's page gets a sign-in token (your app's endpoint, fetched with its cookies); absolute or a /path.",
  },
  {
    key: "apiRate",
    flag: "api-rate",
    env: "PARLEY_API_RATE",
    kind: "count",
    default: 20,
    help: "HTTP API requests per second per API key (or signed-in user); past it 429 with Retry-After (0: no limit).",
  },
  {
    key: "apiBurst",
    flag: "api-burst",
    env: "PARLEY_API_BURST",
    kind: "count",
    default: 40,
    help: "HTTP API requests a key may send at once above --api-rate.",
  },
  {
    key: "sseHeartbeatMs",
    flag: "sse-heartbeat-ms",
    env: "PARLEY_SSE_HEARTBEAT_MS",
    kind: "count",
    default: 15000,
    help: "Milliseconds between heartbeat comments on /api/v1 event streams, so proxies keep idle streams open.",
  },
  {
    key: "sseStallMs",
    flag: "sse-stall-ms",
    env: "PARLEY_SSE_STALL_MS",
    kind: "count",
    default: 30000,
    help: "An event stream whose client reads nothing for this many milliseconds is closed (it resumes by Last-Event-ID).",
  },
  {
    key: "webhookTimeoutMs",
    flag: "webhook-timeout-ms",
    env: "PARLEY_WEBHOOK_TIMEOUT_MS",
    kind: "count",
    default: 10000,
    help: "A webhook endpoint that has not answered within this many milliseconds has failed that attempt (retried later).",
  },
  {
    key: "webhookDisableAfterMs",
    flag: "webhook-disable-after-ms",
    env: "PARLEY_WEBHOOK_DISABLE_AFTER_MS",
    kind: "count",
    default: 86400000,
    help: "A webhook endpoint whose every attempt failed for this many milliseconds (24 h by default) is disabled, with the reason shown to the administrator.",
  },
  {
    key: "fileMaxBytes",
    flag: "file-max-bytes",
    env: "PARLEY_FILE_MAX_BYTES",
    kind: "count",
    default: 26214400,
    help: "The largest file a member may upload (25 MiB); a larger Content-Length is refused with 413 before the body is read (0: no uploads).",
  },
  {
    key: "fileQuotaBytes",
    flag: "file-quota-bytes",
    env: "PARLEY_FILE_QUOTA_BYTES",
    kind: "count",
    default: 524288000,
    help: "Bytes of files one uploader (user, API key, or an anonymous user's address) may have stored (500 MiB); past it 413.",
  },
  {
    key: "fileRate",
    flag: "file-rate",
    env: "PARLEY_FILE_RATE",
    kind: "count",
    default: 20,
    help: "Uploads per minute per uploader (and as many at once); past it 429 with Retry-After (0: no limit).",
  },
  {
    key: "fileUnattachedMs",
    flag: "file-unattached-ms",
    env: "PARLEY_FILE_UNATTACHED_MS",
    kind: "count",
    default: 3600000,
    help: "An upload no message carries after this many milliseconds (1 h) is removed.",
  },
] as const satisfies readonly SettingSpec[];

type Row = (typeof SETTINGS)[number];
type ValueOf<S extends Row> = S extends { choices: readonly (infer C)[] }
  ? C
  : S["default"] extends string
    ? string
    : number;

/** The settings a Parley runs with: one field per row of the table, named by its `key`. */
export type ParleyConfig = { [S in Row as S["key"]]: ValueOf<S> };
export type SettingKey = Row["key"];
/** Any row, seen through the shape every row shares (for code that walks the table). */
export type Setting = SettingSpec & { key: SettingKey; flag: FlagName; env: EnvName };
export type Value = Setting["default"];
export type FlagName = Row["flag"];
export type EnvName = Row["env"];

// A default outside its choices would be a value the type says cannot happen: make it a compile error.
type DefaultOutsideChoices<S = Row> = S extends { key: string; default: infer D; choices: readonly (infer C)[] }
  ? D extends C
    ? never
    : S["key"]
  : never;
true satisfies [DefaultOutsideChoices] extends [never] ? true : DefaultOutsideChoices;
