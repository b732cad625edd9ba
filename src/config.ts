/**
 * Every setting in one table: its flag, its environment variable, its default and what it
 * means. `parley --help` and the README's table are read from here.
 */
export interface ParleyConfig {
  host: string;
  port: number;
  wsPort: number;
  dataDir: string;
  store: string;
  sqliteSync: "full" | "normal";
  historyLimit: number;
  maxHistoryLimit: number;
  retainMessages: number;
  retainDays: number;
  maxPayload: number;
  maxQueueBytes: number;
  maxRooms: number;
  redis: string;
  redisPrefix: string;
  databaseUrl: string;
  nodeTimeoutMs: number;
}

type Kind = "string" | "port" | "count";

interface Setting {
  key: keyof ParleyConfig;
  flag: string;
  env: string;
  kind: Kind;
  default: string | number;
  help: string;
  choices?: readonly string[];
  /** A well-known variable read when the PARLEY_ one is not set (REDIS_URL, DATABASE_URL). */
  envAlias?: string;
}

export const SETTINGS: readonly Setting[] = [
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
];

export class ConfigError extends Error {}

const parseValue = (setting: Setting, raw: string, source: string): string | number => {
  if (setting.kind === "string") {
    if (setting.choices && !setting.choices.includes(raw)) {
      throw new ConfigError(`${source}: "${raw}" is not one of ${setting.choices.join(", ")}.`);
    }
    return raw;
  }
  const value = Number(raw);
  const max = setting.kind === "port" ? 65535 : Number.MAX_SAFE_INTEGER;
  if (raw.trim() === "" || !Number.isInteger(value) || value < 0 || value > max) {
    throw new ConfigError(`${source}: "${raw}" is not a whole number from 0 to ${max}.`);
  }
  return value;
};

/** Defaults, then environment, then flags; throws ConfigError naming the bad key. */
export const loadConfig = (argv: readonly string[], env: NodeJS.ProcessEnv): ParleyConfig => {
  const config: Record<string, string | number> = {};
  for (const s of SETTINGS) config[s.key] = s.default;
  for (const s of SETTINGS) {
    const raw = env[s.env] || (s.envAlias ? env[s.envAlias] : undefined);
    if (raw !== undefined && raw !== "") config[s.key] = parseValue(s, raw, s.env);
  }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (!arg.startsWith("--")) throw new ConfigError(`Unexpected argument "${arg}"; see --help.`);
    const [name, inline] = arg.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
    const setting = SETTINGS.find((s) => s.flag === name);
    if (!setting) throw new ConfigError(`Unknown option --${name}; see --help.`);
    const raw = inline ?? argv[++i];
    if (raw === undefined) throw new ConfigError(`--${name} needs a value.`);
    config[setting.key] = parseValue(setting, raw, `--${name}`);
  }
  return config as unknown as ParleyConfig;
};

export const helpText = (): string => {
  const rows = SETTINGS.map(
    (s) =>
      `  --${s.flag} <${s.kind === "string" ? "value" : "n"}>`.padEnd(30) +
      `${s.help}\n${" ".repeat(30)}env ${s.env}${s.envAlias ? ` or ${s.envAlias}` : ""}, default ${s.default === "" ? "(none)" : s.default}`,
  );
  return `parley: a WebSocket chat server.\n\nUsage: parley [options]\n\nOptions:\n${rows.join("\n")}\n  --help                      This text.\n`;
};
