import type { ClientFrame, ServerEvent } from "./protocol.ts";

/** Who a signed-in connection is, from `welcome.user`: `exp` in seconds since the epoch, as in the token. */
export type AuthUser = NonNullable<Extract<ServerEvent, { type: "welcome" }>["user"]>;

/** What the SDK sends and reads: the JSON protocol's frames (docs/protocol.md). */
export type SdkFrame = ClientFrame;
export type SdkEvent = ServerEvent;
