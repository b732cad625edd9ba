import { validateRoomName } from "../chat/room-name.ts";
import { ConfigError } from "../config.ts";
import type { ParleyConfig } from "../settings.ts";
import type { AuthMode } from "./handshake.ts";
import { createVerifier, readPublicKey, type VerifyToken } from "./tokens.ts";

export interface AuthSetup {
  mode: AuthMode;
  verify: VerifyToken | undefined;
  clockToleranceMs: number;
  privateRooms: string[];
}

/** Reads the auth settings; throws with a clear message when they cannot work together. */
export const authFromConfig = (config: ParleyConfig): AuthSetup => {
  const hasKey = config.authSecret !== "" || config.authPublicKey !== "";
  const mode: AuthMode = config.auth === "auto" ? (hasKey ? "optional" : "off") : config.auth;
  const privateRooms = config.privateRooms
    .split(",")
    .map((room) => room.trim())
    .filter(Boolean);
  if (mode !== "off" && !hasKey) {
    throw new ConfigError(`--auth ${mode} needs --auth-secret (PARLEY_AUTH_SECRET) or --auth-public-key.`);
  }
  if (mode === "off" && privateRooms.length > 0) {
    throw new ConfigError("--private-rooms needs signed tokens: set --auth-secret or --auth-public-key.");
  }
  let verify: VerifyToken | undefined;
  if (mode !== "off") {
    let publicKeyPem: string | undefined;
    if (config.authPublicKey !== "") {
      try {
        publicKeyPem = readPublicKey(config.authPublicKey);
      } catch (error) {
        throw new ConfigError(`--auth-public-key ${config.authPublicKey}: ${(error as Error).message}`);
      }
    }
    try {
      verify = createVerifier({
        secret: config.authSecret || undefined,
        publicKeyPem,
        audience: config.authAudience || undefined,
        issuer: config.authIssuer || undefined,
        clockToleranceSec: config.authClockTolerance,
      });
    } catch (error) {
      throw new ConfigError(`auth: ${(error as Error).message}`);
    }
  }
  for (const room of privateRooms) {
    try {
      validateRoomName(room);
    } catch (error) {
      throw new ConfigError(`private-rooms: ${(error as Error).message}`);
    }
  }
  return { mode, verify, clockToleranceMs: config.authClockTolerance * 1000, privateRooms };
};
