import type { IncomingMessage } from "node:http";
import type { RoomAccess, VerifiedUser } from "../chat/identity.ts";
import { isTokenProtocol, offeredProtocols, TOKEN_PROTOCOL_PREFIX } from "../protocol/token-protocol.ts";
import type { ConnectionInfo } from "../transport/client-link.ts";
import type { Authentication } from "../transport/refuse.ts";
import { TokenError, type VerifyToken } from "./tokens.ts";

export type AuthMode = "off" | "optional" | "required";

/** The token a handshake presents, if any. */
export const tokenOf = (req: IncomingMessage): string | undefined => {
  const offered = offeredProtocols(req).find(isTokenProtocol);
  if (offered !== undefined) return offered.slice(TOKEN_PROTOCOL_PREFIX.length);
  const authorization = req.headers.authorization;
  if (authorization !== undefined) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (match) return match[1];
  }
  const url = req.url ?? "/";
  // Most handshakes have no query at all: no URL to parse for them.
  if (!url.includes("?")) return undefined;
  return new URL(url, "ws://parley").searchParams.get("token") ?? undefined;
};

export interface AdmissionOptions {
  mode: AuthMode;
  verify: VerifyToken;
  access: RoomAccess;
}

const challenge = (error: string): Record<string, string> => ({
  "WWW-Authenticate": `Bearer realm="parley", error="${error}"`,
});

const unauthorized = (message: string, error: string): Authentication => ({
  ok: false,
  refusal: { status: 401, message, reason: "unauthorized" },
  headers: challenge(error),
});

/**
 * Decides a handshake before the upgrade: 401 for a missing (when required), forged,
 * expired or wrongly signed token; 403 when the URL's room is private and the token does
 * not grant it. A client that does not join the URL's room (`?autojoin=0`) is not asked about it.
 */
export const createAdmission =
  ({ mode, verify, access }: AdmissionOptions) =>
  async (req: IncomingMessage, info: ConnectionInfo): Promise<Authentication> => {
    const token = tokenOf(req);
    let identity: VerifiedUser | undefined;
    if (token === undefined || token === "") {
      if (mode === "required") return unauthorized("A token is required.", "invalid_request");
    } else {
      try {
        identity = await verify(token);
      } catch (error) {
        const message = error instanceof TokenError ? error.message : "The token is not valid.";
        return unauthorized(message, "invalid_token");
      }
    }
    if (info.autoJoin && !access.mayEnter(identity, info.room)) {
      if (!identity) return unauthorized("This room needs a token.", "invalid_request");
      return {
        ok: false,
        refusal: { status: 403, message: "Your token does not grant this room.", reason: "forbidden" },
        headers: {},
      };
    }
    return { ok: true, identity };
  };
