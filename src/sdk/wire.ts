import type { ClientFrame, ServerEvent } from "../protocol/json.ts";

/** Who a signed-in connection is, from `welcome.user`: `exp` in seconds since the epoch, as in the token. */
export interface AuthUser {
  id: string;
  name: string;
  exp: number;
}

/** Frames of the identity protocol (docs/protocol.md, "Identity and access"). */
export type SdkFrame =
  | ClientFrame
  | { type: "auth"; token: string }
  | { type: "typing"; room: string }
  | { type: "read"; room: string; seq: number };

type Plain = Exclude<ServerEvent, { type: "welcome" | "joined" }>;

/** Everything the SDK reads: the server's events, with the identity fields and frames. */
export type SdkEvent =
  | Plain
  | (Extract<ServerEvent, { type: "welcome" }> & { user?: AuthUser; unread?: Record<string, number> })
  | (Extract<ServerEvent, { type: "joined" }> & { unread?: number })
  | { type: "auth"; exp: number }
  | { type: "typing"; room: string; nick: string }
  | { type: "read"; room: string; seq: number; unread: number };
