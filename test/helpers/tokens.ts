import { randomBytes } from "node:crypto";
import { type CryptoKey, exportSPKI, generateKeyPair, type JWTPayload, SignJWT } from "jose";

/** A fresh HS256 secret for one test run. */
export const newSecret = (): string => randomBytes(32).toString("base64url");

export interface Claims extends JWTPayload {
  name?: string;
  rooms?: string[] | string;
}

/** Seconds since the epoch, as JWT claims count. */
export const nowSec = (): number => Math.floor(Date.now() / 1000);

/** An HS256 token for `sub` valid `ttlSec` seconds (negative: already expired). */
export const hsToken = (secret: string, claims: Claims, ttlSec = 300, alg = "HS256"): Promise<string> =>
  new SignJWT({ ...claims })
    .setProtectedHeader({ alg })
    .setIssuedAt()
    .setExpirationTime(nowSec() + ttlSec)
    .sign(new TextEncoder().encode(secret));

export interface KeyPair {
  privateKey: CryptoKey;
  publicPem: string;
}

export const keyPair = async (alg: "RS256" | "ES256"): Promise<KeyPair> => {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { privateKey, publicPem: await exportSPKI(publicKey) };
};

export const signedToken = (pair: KeyPair, alg: "RS256" | "ES256", claims: Claims, ttlSec = 300): Promise<string> =>
  new SignJWT({ ...claims })
    .setProtectedHeader({ alg })
    .setIssuedAt()
    .setExpirationTime(nowSec() + ttlSec)
    .sign(pair.privateKey);

/** `alg: none`: header and claims, no signature. */
export const unsignedToken = (claims: Claims, ttlSec = 300): string => {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
  return `${part({ alg: "none", typ: "JWT" })}.${part({ ...claims, exp: nowSec() + ttlSec })}.`;
};
