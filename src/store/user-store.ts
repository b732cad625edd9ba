/**
 * Where a signed-in user stands in each room: the highest `seq` they have read. Positions
 * only move forward; unread counts are the room's last seq minus the position.
 */
export interface ReadPositions {
  /** Every room the user has a read position in, with that position. */
  readPositions(user: string): Promise<Map<string, number>>;
  /** Moves the user's position in the room forward to `seq` (never back); resolves with the position now stored. */
  markRead(user: string, room: string, seq: number): Promise<number>;
}

/**
 * Display names of signed-in users, reserved for them (case-insensitively, by `nickKey`)
 * even while they are away, so no anonymous client can take one by `/nick`.
 */
export interface NameReservations {
  /** Records `name` as `user`'s; a name last used by another user passes to this one. */
  reserveName(user: string, name: string): Promise<void>;
  /** The user a name is reserved for, if any. */
  nameOwner(name: string): Promise<string | undefined>;
}

/**
 * Rooms an administrator made private or public at run time; they override `--private-rooms`
 * and survive restarts (and, in PostgreSQL, reach every node that starts later).
 */
export interface RoomPrivacyStore {
  /** Every room whose privacy was set at run time: true private, false public. */
  roomPrivacy(): Promise<Map<string, boolean>>;
  setRoomPrivacy(room: string, isPrivate: boolean): Promise<void>;
}

/** Per-user state, durable in the same database as the history. */
export interface UserStore extends ReadPositions, NameReservations, RoomPrivacyStore {
  /** Resolves when the store answers and its tables exist. */
  start(): Promise<void>;
  close(): Promise<void>;
}
