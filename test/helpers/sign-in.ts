import { randomBytes } from "node:crypto";
import { SignJWT } from "jose";

/** A fresh HS256 secret for one test run (Parley wants at least 32 bytes). */
export const testSecret = (): string => randomBytes(32).toString("base64url");

/**
 * A token as an application backend mints it: `sub`, `name`, `exp` about `ttlMs` from now (whole seconds, rounded
 * down; negative: already expired), and optionally the private rooms it grants.
 */
export const userToken = (
  secret: string,
  user: { sub: string; name: string; rooms?: string[] },
  ttlMs = 300_000,
): Promise<string> =>
  new SignJWT({ name: user.name, ...(user.rooms ? { rooms: user.rooms } : {}) })
    .setProtectedHeader({ alg: "HS256" })
    .setSubject(user.sub)
    .setIssuedAt()
    .setExpirationTime(Math.floor((Date.now() + ttlMs) / 1000))
    .sign(new TextEncoder().encode(secret));
