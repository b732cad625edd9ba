/**
 * Where a signed-in user stands in each room: the highest `seq` they have read. Positions
 * only move forward; unread counts are the messages after the position (`HistoryStore.countMessages`:
 * change events are not counted).
 */
export interface ReadPositions {
  /** Every room the user has a read position in, with that position. */
  readPositions(user: string): Promise<Map<string, number>>;
  /** Moves the user's position in the room forward to `seq` (never back); resolves with the position now stored. */
  markRead(user: string, room: string, seq: number): Promise<number>;
}

/**
 * Where a signed-in user was named (`@name`): kept per message, so the count of mentions not yet
 * read in a room is those after the user's read position there; reading past them clears them.
 */
export interface MentionLog {
  /** Records that `user` was named in the message at `seq` of `room` (once per message). */
  addMention(user: string, room: string, seq: number): Promise<void>;
  /** Per room, the user's mentions after their read position there (rooms with none are left out). */
  mentionCounts(user: string): Promise<Map<string, number>>;
}

/**
 * Display names of signed-in users, reserved for them even while they are away, so no anonymous
 * client can take one by `/nick` and no other user can sign in under it. Names are compared by
 * `nickKey` (their look, whatever the case: `Alice`, `аlice` and `aIice` are one name).
 */
export interface NameReservations {
  /**
   * Reserves `name` for `user` unless another user holds it (a name belongs to the first user,
   * their token's `sub`, for good); resolves with the user the name is reserved for.
   */
  reserveName(user: string, name: string): Promise<string>;
  /** The user a name (or a lookalike) is reserved for, if any. */
  nameOwner(name: string): Promise<string | undefined>;
}

/** A reservation whose stored key is no longer `nickKey(name)` (the key's definition changed), keyed anew. */
export interface StaleNameKey {
  oldKey: string;
  newKey: string;
}

/** The stored reservations whose key must be recomputed. */
export const staleNameKeys = (
  rows: Iterable<{ name_key: string; name: string }>,
  key: (name: string) => string,
): StaleNameKey[] =>
  [...rows].flatMap((row) => {
    const newKey = key(row.name);
    return newKey === row.name_key ? [] : [{ oldKey: row.name_key, newKey }];
  });

/**
 * Rooms an administrator made private or public at run time; they override `--private-rooms`
 * and survive restarts (and, in PostgreSQL, reach every node that starts later).
 */
export interface RoomPrivacyStore {
  /** Every room whose privacy was set at run time: true private, false public. */
  roomPrivacy(): Promise<Map<string, boolean>>;
  setRoomPrivacy(room: string, isPrivate: boolean): Promise<void>;
}

/**
 * The rooms a signed-in user keeps joined, whatever the device: a join adds the room, the user's `leave` removes it
 * (a read position stays after leaving, for unread counts, so it cannot mean "joined").
 */
export interface JoinedRooms {
  /** The user's rooms, in the order they were first joined. */
  joinedRooms(user: string): Promise<string[]>;
  setJoined(user: string, room: string, joined: boolean): Promise<void>;
}

/** Per-user state, durable in the same database as the history. */
export interface UserStore extends ReadPositions, NameReservations, RoomPrivacyStore, MentionLog, JoinedRooms {
  /** Resolves when the store answers and its tables exist. */
  start(): Promise<void>;
  close(): Promise<void>;
}
