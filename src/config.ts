import { readFileSync } from "node:fs";
import { type ParleyConfig, SETTINGS, type Setting, type SettingKey, type Value } from "./settings.ts";

export class ConfigError extends Error {}

/** The table, each row seen through the shape every row shares. */
const TABLE: readonly Setting[] = SETTINGS;

const shown = (setting: Setting, raw: string): string => (setting.secret ? "(the value given)" : `"${raw}"`);

const parseValue = (setting: Setting, raw: string, source: string): Value => {
  if (setting.kind === "string") {
    if (setting.choices && !setting.choices.includes(raw)) {
      throw new ConfigError(`${source}: ${shown(setting, raw)} is not one of ${setting.choices.join(", ")}.`);
    }
    return raw;
  }
  const value = Number(raw);
  const max = setting.kind === "port" ? 65535 : Number.MAX_SAFE_INTEGER;
  if (raw.trim() === "" || !Number.isInteger(value) || value < 0 || value > max) {
    throw new ConfigError(`${source}: ${shown(setting, raw)} is not a whole number from 0 to ${max}.`);
  }
  return value;
};

type Source = Partial<Record<SettingKey, Value>>;

/** The table's defaults under `values`. */
const withDefaults = (values: Source): ParleyConfig => {
  const config: Source = {};
  for (const s of TABLE) config[s.key] = s.default;
  // Every value is its row's default or passed parseValue (its kind and choices): it has its key's type.
  return Object.assign(config, values) as ParleyConfig;
};

/** `--name value` and `--name=value` pairs, checked against the table; later ones win. */
const parseFlags = (argv: readonly string[]): Map<Setting, string> => {
  const flags = new Map<Setting, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (!arg.startsWith("--")) throw new ConfigError(`Unexpected argument "${arg}"; see --help.`);
    const [name, inline] = arg.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
    const setting = TABLE.find((s) => s.flag === name);
    if (!setting) throw new ConfigError(`Unknown option --${name}; see --help.`);
    const raw = inline ?? argv[++i];
    if (raw === undefined) throw new ConfigError(`--${name} needs a value.`);
    flags.set(setting, raw);
  }
  return flags;
};

/** The optional JSON config file: an object keyed by flag names; unknown keys and wrong types are errors. */
const readConfigFile = (file: string, read: (path: string) => string): Source => {
  let text: string;
  try {
    text = read(file);
  } catch (error) {
    throw new ConfigError(`config file ${file}: cannot be read (${(error as NodeJS.ErrnoException).code ?? error}).`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`config file ${file}: not valid JSON (${(error as Error).message}).`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError(`config file ${file}: must be a JSON object of settings, like {"port": 8080}.`);
  }
  const values: Source = {};
  // Every mistake at once, one per line: fixing a file one error per start is tedious.
  const mistakes: string[] = [];
  for (const [key, value] of Object.entries(parsed)) {
    try {
      const setting = TABLE.find((s) => s.flag === key && s.key !== "config");
      if (!setting) {
        throw new ConfigError(
          `config file ${file}: unknown key "${key}"; keys are the flag names without --, as in --help.`,
        );
      }
      const where = `config file ${file}: "${key}"`;
      const numeric = setting.kind !== "string";
      if (numeric ? typeof value !== "number" : typeof value !== "string") {
        const given = setting.secret ? typeof value : JSON.stringify(value);
        throw new ConfigError(`${where} must be a ${numeric ? "number" : "string"}, not ${given}.`);
      }
      values[setting.key] = parseValue(setting, String(value), where);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      mistakes.push(error.message);
    }
  }
  if (mistakes.length > 0) throw new ConfigError(mistakes.join("\n"));
  return values;
};

/**
 * Defaults, then the config file, then environment, then flags; throws ConfigError naming the
 * bad key. `read` is how the config file is read (a seam for tests).
 */
export const loadConfig = (
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  read: (path: string) => string = (path) => readFileSync(path, "utf8"),
): ParleyConfig => {
  const flags = parseFlags(argv);
  const config: Source = {};
  const configSetting = TABLE.find((s) => s.key === "config") as Setting;
  const file = flags.get(configSetting) ?? env[configSetting.env];
  if (file) Object.assign(config, readConfigFile(file, read), { config: file });
  for (const s of TABLE) {
    const raw = env[s.env] || (s.envAlias ? env[s.envAlias] : undefined);
    if (raw !== undefined && raw !== "") config[s.key] = parseValue(s, raw, s.env);
  }
  for (const [s, raw] of flags) config[s.key] = parseValue(s, raw, `--${s.flag}`);
  return check(withDefaults(config));
};

/**
 * Settings given in code, as `startParley({ port: 0 })` does: defaults, then the options, checked like the
 * config file's values (the environment is not read: code says what it means).
 */
export const configFrom = (options: Partial<ParleyConfig>): ParleyConfig => {
  const config: Source = {};
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined) continue;
    const setting = TABLE.find((s) => s.key === key);
    if (!setting) throw new ConfigError(`startParley: unknown option "${key}"; options are ParleyConfig's keys.`);
    const numeric = setting.kind !== "string";
    if (numeric ? typeof value !== "number" : typeof value !== "string") {
      throw new ConfigError(`startParley: option "${key}" must be a ${numeric ? "number" : "string"}.`);
    }
    config[setting.key] = parseValue(setting, String(value), `startParley: option "${key}"`);
  }
  return check(withDefaults(config));
};

/** Rules across one value that the table's kinds cannot say. */
const check = (config: ParleyConfig): ParleyConfig => {
  if (config.port !== 0 && config.port === config.wsPort) {
    throw new ConfigError(
      `port and ws-port are both ${config.port}: the page and the Cookbook's port need one each (0 picks a free one).`,
    );
  }
  if (config.adminToken !== "" && config.adminToken.length < 16) {
    throw new ConfigError("admin-token: must be at least 16 characters (it guards kick, ban and delete).");
  }
  return config;
};

const HELP_WIDTH = 80;
const HELP_INDENT = 30;

/** `words` wrapped to the help's second column, the first line after `head` (or below it when it is too wide). */
const helpColumn = (head: string, words: string[]): string => {
  const lines: string[] = [];
  let line = "";
  for (const word of words) {
    if (line !== "" && HELP_INDENT + line.length + 1 + word.length > HELP_WIDTH) {
      lines.push(line);
      line = word;
    } else line = line === "" ? word : `${line} ${word}`;
  }
  lines.push(line);
  const pad = " ".repeat(HELP_INDENT);
  const first = head.length < HELP_INDENT ? head.padEnd(HELP_INDENT) : `${head}\n${pad}`;
  return first + lines.join(`\n${pad}`);
};

export const helpText = (): string => {
  const rows = TABLE.map(
    (s) =>
      `${helpColumn(`  --${s.flag} <${s.kind === "string" ? "value" : "n"}>`, s.help.split(" "))}\n` +
      // "default X" stays on one line, so it can be found (and grepped) whole.
      helpColumn("", [
        ...`env ${s.env}${s.envAlias ? ` or ${s.envAlias}` : ""},`.split(" "),
        `default ${s.default === "" ? "(none)" : s.default}`,
      ]),
  );
  return `parley: a WebSocket chat server.\n\nUsage: parley [options]\n\nEvery option is also an environment variable and a key of the --config file;\nflags win over the environment, which wins over the file.\n\nOptions:\n${rows.join("\n")}\n  --help                      This text.\n  --version                   The version.\n`;
};
