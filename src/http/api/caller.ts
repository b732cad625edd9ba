import { type ApiKey, type ApiKeyStore, hashApiKey, hasRight, KEY_PREFIX, roomMatches } from "../../api-keys/keys.ts";
import type { VerifyToken } from "../../auth/tokens.ts";
import type { RoomAccess, VerifiedUser } from "../../chat/identity.ts";
import { Problem } from "./problem.ts";

/** Who calls: an API key, or a signed-in user (a token, for reading only). */
export type Caller = { kind: "key"; key: ApiKey; hash: string } | { kind: "user"; identity: VerifiedUser };

export interface CallerOptions {
  keys: ApiKeyStore;
  access: RoomAccess;
  verifyToken?: VerifyToken | undefined;
}

const unauthorized = (detail: string) => new Problem(401, "unauthorized", detail);

/**
 * The caller of a request: `Authorization: Bearer pk_…` is an API key; another bearer value, or
 * `?token=` (for EventSource, which cannot set headers), is a signed token.
 */
export const identifyCaller = async (
  options: CallerOptions,
  authorization: string | undefined,
  queryToken: string | undefined,
): Promise<Caller> => {
  const bearer = /^Bearer (\S+)$/.exec(authorization ?? "")?.[1] ?? queryToken;
  if (bearer === undefined || bearer === "") {
    throw unauthorized("An API key is needed: Authorization: Bearer pk_… (or a signed token).");
  }
  if (bearer.startsWith(KEY_PREFIX)) {
    const hash = hashApiKey(bearer);
    const key = await options.keys.byHash(hash).catch(() => {
      throw new Problem(503, "store_unavailable", "API keys could not be checked; try again.");
    });
    // Unknown and revoked keys get the same answer: nothing to learn by probing.
    if (!key || key.revokedAt !== null) throw unauthorized("This API key is not valid.");
    return { kind: "key", key, hash };
  }
  if (!options.verifyToken) throw unauthorized("This API key is not valid.");
  try {
    return { kind: "user", identity: await options.verifyToken(bearer) };
  } catch (error) {
    throw unauthorized(`The token is not valid: ${(error as Error).message}`);
  }
};

/** Reading `room` (history, presence, events): a key with `read` whose pattern matches, or a user the room admits. */
export const mayRead = (access: RoomAccess, caller: Caller, room: string): boolean =>
  caller.kind === "key"
    ? hasRight(caller.key, "read") && roomMatches(caller.key.rooms, room)
    : access.mayEnter(caller.identity, room);

/** Throws the same 403 whether the room is private, absent or just outside the key: no probe tells them apart. */
export const checkRead = (access: RoomAccess, caller: Caller, room: string): void => {
  if (!mayRead(access, caller, room)) throw new Problem(403, "forbidden", `You may not read ${room}.`);
};

export const checkPublish = (caller: Caller, room: string): ApiKey => {
  if (caller.kind !== "key") {
    throw new Problem(403, "forbidden", "Publishing over HTTP needs an API key; signed-in users send over WebSocket.");
  }
  if (!hasRight(caller.key, "publish") || !roomMatches(caller.key.rooms, room)) {
    throw new Problem(403, "forbidden", `This key may not publish to ${room}.`);
  }
  return caller.key;
};

/** Per key (or user) token buckets; answers how many seconds to wait, 0 when the request may go. */
export class CallerRate {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  private readonly perSecond: number;
  private readonly burst: number;
  private readonly now: () => number;

  constructor(perSecond: number, burst: number, now: () => number = Date.now) {
    this.perSecond = perSecond;
    this.burst = burst;
    this.now = now;
  }

  /** Takes `cost` requests' worth (a search costs more than a read). */
  take(who: string, cost = 1): number {
    if (this.perSecond <= 0) return 0;
    const now = this.now();
    const bucket = this.buckets.get(who) ?? { tokens: this.burst, at: now };
    bucket.tokens = Math.min(this.burst, bucket.tokens + ((now - bucket.at) / 1000) * this.perSecond);
    bucket.at = now;
    // Full buckets are forgotten, so the map holds only callers active in the last few seconds.
    if (this.buckets.size > 10_000) this.sweep(now);
    this.buckets.set(who, bucket);
    const need = Math.min(cost, this.burst);
    if (bucket.tokens >= need) {
      bucket.tokens -= need;
      return 0;
    }
    return Math.max(1, Math.ceil((need - bucket.tokens) / this.perSecond));
  }

  private sweep(now: number): void {
    for (const [who, b] of this.buckets) {
      if (b.tokens + ((now - b.at) / 1000) * this.perSecond >= this.burst) this.buckets.delete(who);
    }
  }
}

export const callerId = (caller: Caller): string =>
  caller.kind === "key" ? `key:${caller.key.id}` : `user:${caller.identity.id}`;
