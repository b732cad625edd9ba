import { createHash } from "node:crypto";
import { ParleyError } from "../chat/errors.ts";

/**
 * The broker channel a signed-in user's own events travel on (read positions), so all their
 * connections hear them on every node. Room names start with a letter or digit, so `~` never
 * collides with a room; the id is hashed so no user id appears in channel names.
 */
export const userChannel = (user: string): string =>
  `~user.${createHash("sha256").update(user).digest("hex").slice(0, 32)}`;

/** The channel every node listens on: rooms made private or public at run time, nicknames taken back. */
export const ACCESS_CHANNEL = "~access";

export const forbidden = (room: string): ParleyError =>
  new ParleyError("forbidden", `${room} is a private room your token does not grant.`);
