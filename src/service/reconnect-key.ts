import { createHash, randomBytes } from "node:crypto";

/**
 * A reconnect key: given to an anonymous JSON client in `welcome`, presented with `nick` after a
 * reconnect to prove it is the same client, so it gets its name back while its old connection
 * still holds it (a crashed node's ghost, a half-open socket). Only its hash is kept.
 */
export const newReconnectKey = (): string => randomBytes(32).toString("base64url");

/** What is stored next to a nickname claim: a key cannot be read back from it. */
export const reconnectKeyHash = (key: string): string => createHash("sha256").update(key).digest("base64url");
