/**
 * A signed-in user, as a verified token describes them. The domain never sees the token:
 * only who the user is, what they may enter and until when.
 */
export interface VerifiedUser {
  /** The application's stable user id (the token's `sub`). */
  readonly id: string;
  /** Display name (the token's `name`): the user's nickname, reserved for them. */
  readonly name: string;
  /** Private rooms the token grants; `"all"` for the token's `rooms: ["*"]`. */
  readonly rooms: ReadonlySet<string> | "all";
  /** When the token stops being valid, in milliseconds since the epoch. */
  readonly expiresAt: number;
  /** The token's `picture`, when it is one the page may show (picture.ts). */
  readonly picture?: string | undefined;
}

/**
 * Which rooms are private. Public rooms are open to every client the server admits;
 * a private room only to identities whose token grants it. Pure: the caller decides where
 * the list comes from (settings, an administrator).
 */
export class RoomAccess {
  private readonly privateRooms = new Set<string>();

  constructor(initial: Iterable<string> = []) {
    for (const room of initial) this.privateRooms.add(room);
  }

  isPrivate(room: string): boolean {
    return this.privateRooms.has(room);
  }

  /** Marks a room private or public; true when that changed anything. */
  setPrivate(room: string, isPrivate: boolean): boolean {
    if (this.privateRooms.has(room) === isPrivate) return false;
    if (isPrivate) this.privateRooms.add(room);
    else this.privateRooms.delete(room);
    return true;
  }

  list(): string[] {
    return [...this.privateRooms].sort();
  }

  mayEnter(identity: VerifiedUser | undefined, room: string): boolean {
    if (!this.privateRooms.has(room)) return true;
    return identity !== undefined && grants(identity, room);
  }
}

export const grants = (identity: VerifiedUser, room: string): boolean =>
  identity.rooms === "all" || identity.rooms.has(room);
