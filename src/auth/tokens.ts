import { createPublicKey, type KeyObject } from "node:crypto";
import { readFileSync } from "node:fs";
import { errors, type JWTPayload, jwtVerify, type KeyInput } from "jose";
import type { VerifiedUser } from "../chat/identity.ts";
import { validateNick } from "../chat/nick.ts";
import { pictureOf } from "../chat/picture.ts";

/** Why a token was refused; the reason goes to the client, the token never does. */
export class TokenError extends Error {
  readonly reason: "missing" | "invalid" | "expired";

  constructor(reason: "missing" | "invalid" | "expired", message: string) {
    super(message);
    this.reason = reason;
    this.name = "TokenError";
  }
}

export interface TokenKeys {
  /** HS256 shared secret. */
  secret?: string | undefined;
  /** PEM text of an RSA (RS256) or EC P-256 (ES256) public key. */
  publicKeyPem?: string | undefined;
  audience?: string | undefined;
  issuer?: string | undefined;
  /** Seconds of clock skew allowed on `exp` and `nbf`. */
  clockToleranceSec: number;
}

export type VerifyToken = (token: string) => Promise<VerifiedUser>;

export const MIN_SECRET_BYTES = 32;

/**
 * Builds the verifier. Each key is pinned to its one algorithm: a token whose header names
 * any other (`none`, HS256 against the public key, RS512…) is refused before any
 * signature check, which is what defeats the algorithm-confusion attacks.
 */
export const createVerifier = (keys: TokenKeys): VerifyToken => {
  const byAlg = new Map<string, KeyInput>();
  if (keys.secret) {
    if (Buffer.byteLength(keys.secret) < MIN_SECRET_BYTES) {
      throw new Error(`The auth secret must be at least ${MIN_SECRET_BYTES} bytes.`);
    }
    byAlg.set("HS256", new TextEncoder().encode(keys.secret));
  }
  if (keys.publicKeyPem) {
    const key = createPublicKey(keys.publicKeyPem);
    byAlg.set(algorithmOf(key), key);
  }
  if (byAlg.size === 0) throw new Error("No auth secret or public key is configured.");
  const algorithms = [...byAlg.keys()];
  return async (token) => {
    if (token === "") throw new TokenError("missing", "No token was presented.");
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(
        token,
        (header) => {
          const key = header.alg === undefined ? undefined : byAlg.get(header.alg);
          if (!key) throw new errors.JOSEAlgNotAllowed('"alg" (Algorithm) Header Parameter value not allowed');
          return key;
        },
        {
          algorithms,
          requiredClaims: ["exp", "sub"],
          clockTolerance: keys.clockToleranceSec,
          ...(keys.audience ? { audience: keys.audience } : {}),
          ...(keys.issuer ? { issuer: keys.issuer } : {}),
        },
      ));
    } catch (error) {
      if (error instanceof errors.JWTExpired) throw new TokenError("expired", "The token has expired.");
      throw new TokenError("invalid", "The token is not valid.");
    }
    return identityOf(payload);
  };
};

/** Reads `--auth-public-key`: a path to a PEM file. */
export const readPublicKey = (path: string): string => readFileSync(path, "utf8");

const algorithmOf = (key: KeyObject): string => {
  if (key.asymmetricKeyType === "rsa") return "RS256";
  if (key.asymmetricKeyType === "ec" && key.asymmetricKeyDetails?.namedCurve === "prime256v1") return "ES256";
  throw new Error("The auth public key must be RSA (RS256) or EC P-256 (ES256).");
};

/** The claims Parley reads: `sub`, `name`, `exp`, `rooms` (private rooms granted; `"*"` for all), `picture`. */
const identityOf = (payload: JWTPayload): VerifiedUser => {
  const { sub, exp } = payload;
  const claimed = payload.name;
  if (typeof sub !== "string" || sub === "" || sub.length > 256) throw new TokenError("invalid", "sub is not valid.");
  if (typeof claimed !== "string") throw new TokenError("invalid", "The token has no name claim.");
  let name: string;
  try {
    name = validateNick(claimed); // shown as NFKC, like any nickname
  } catch (error) {
    throw new TokenError("invalid", `The token's name is not a valid nickname: ${(error as Error).message}`);
  }
  const rooms = payload.rooms ?? [];
  const list = rooms === "*" ? ["*"] : rooms;
  if (!Array.isArray(list) || !list.every((r): r is string => typeof r === "string")) {
    throw new TokenError("invalid", 'rooms must be an array of room names (or "*").');
  }
  const picture = pictureOf(payload.picture);
  return {
    id: sub,
    name,
    rooms: list.includes("*") ? "all" : new Set(list),
    expiresAt: (exp as number) * 1000,
    ...(picture === undefined ? {} : { picture }),
  };
};
