import { createHash, randomBytes, randomUUID } from "node:crypto";

/**
 * What a key may do: publish messages (as its bot), publish as a user of yours (`publish_as_user`),
 * read history/presence/events, or everything in its rooms (`admin`).
 */
export const RIGHTS = ["publish", "read", "admin", "publish_as_user"] as const;
export type Right = (typeof RIGHTS)[number];

/** An API key as stored: never the key itself, only its SHA-256. */
export interface ApiKey {
  id: string;
  /** Who uses it; messages it publishes carry the nickname `bot:<name>`. */
  name: string;
  /** Room patterns: `*` matches any run of characters (`ci-*`, `*`); private rooms too, when matched. */
  rooms: string[];
  rights: Right[];
  createdAt: number;
  /** When it was revoked (ms since the epoch); a revoked key authenticates nothing. */
  revokedAt: number | null;
}

/** Keys in the history's database (SQLite file, PostgreSQL), so every node of a cluster knows each. */
export interface ApiKeyStore {
  start(): Promise<void>;
  create(key: ApiKey, hash: string): Promise<void>;
  /** The key whose SHA-256 (hex) is `hash`, revoked or not. */
  byHash(hash: string): Promise<ApiKey | undefined>;
  list(): Promise<ApiKey[]>;
  /** true when the key existed and was not revoked yet. */
  revoke(id: string, at: number): Promise<boolean>;
  /** Every room that holds history, in the whole store (undefined: the store cannot tell). */
  roomsWithHistory(): Promise<string[] | undefined>;
  close(): Promise<void>;
}

/** Keys start with this, so a secret scanner (and a reader) can tell one. */
export const KEY_PREFIX = "pk_";

/** A fresh key: 32 random bytes, so its SHA-256 alone is safe to store (no salt or slow hash needed). */
export const newApiKeySecret = (): string => `${KEY_PREFIX}${randomBytes(32).toString("base64url")}`;

export const newApiKeyId = (): string => randomUUID();

export const hashApiKey = (secret: string): string => createHash("sha256").update(secret).digest("hex");

/** The bot nickname a key publishes under: text-mode clients see `bot:<name>: <text>`. */
export const botNick = (key: Pick<ApiKey, "name">): string => `bot:${key.name}`;

const patternCache = new Map<string, RegExp>();

const compile = (pattern: string): RegExp => {
  let regex = patternCache.get(pattern);
  if (!regex) {
    const source = pattern.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*");
    regex = new RegExp(`^${source}$`);
    if (patternCache.size < 1000) patternCache.set(pattern, regex);
  }
  return regex;
};

/** true when one of `patterns` matches `room` whole. */
export const roomMatches = (patterns: readonly string[], room: string): boolean =>
  patterns.some((pattern) => compile(pattern).test(room));

/** `admin` includes the other rights. */
export const hasRight = (key: ApiKey, right: Right): boolean =>
  key.rights.includes(right) || key.rights.includes("admin");

/** For a store without a database: tests and `--store memory`. */
export class MemoryApiKeyStore implements ApiKeyStore {
  private readonly keys = new Map<string, { key: ApiKey; hash: string }>();

  start(): Promise<void> {
    return Promise.resolve();
  }

  create(key: ApiKey, hash: string): Promise<void> {
    this.keys.set(key.id, { key: { ...key }, hash });
    return Promise.resolve();
  }

  byHash(hash: string): Promise<ApiKey | undefined> {
    for (const entry of this.keys.values()) if (entry.hash === hash) return Promise.resolve({ ...entry.key });
    return Promise.resolve(undefined);
  }

  list(): Promise<ApiKey[]> {
    return Promise.resolve([...this.keys.values()].map((e) => ({ ...e.key })));
  }

  revoke(id: string, at: number): Promise<boolean> {
    const entry = this.keys.get(id);
    if (!entry || entry.key.revokedAt !== null) return Promise.resolve(false);
    entry.key.revokedAt = at;
    return Promise.resolve(true);
  }

  roomsWithHistory(): Promise<string[] | undefined> {
    return Promise.resolve(undefined);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
