import { createHash } from "node:crypto";
import { ParleyError } from "../chat/errors.ts";
import type { RoomBounds } from "../store/history-store.ts";

/**
 * The broker channel a signed-in user's own events travel on (read positions), so all their
 * connections hear them on every node. Room names start with a letter or digit, so `~` never
 * collides with a room; the id is hashed so no user id appears in channel names.
 */
export const userChannel = (user: string): string =>
  `~user.${createHash("sha256").update(user).digest("hex").slice(0, 32)}`;

/**
 * Messages after `position` the room still holds. A room never marked read counts all it
 * holds; messages an administrator deleted still count (the store keeps no count by range).
 */
export const unreadCount = (bounds: RoomBounds, position: number): number =>
  bounds.first === 0 ? 0 : Math.max(0, bounds.last - Math.max(position, bounds.first - 1));

/** The channel every node listens on: rooms made private or public at run time, nicknames taken back. */
export const ACCESS_CHANNEL = "~access";

export const forbidden = (room: string): ParleyError =>
  new ParleyError("forbidden", `${room} is a private room your token does not grant.`);
