import type { PresenceEvent } from "../chat/hub.ts";

/** Who holds a signed-in user's nickname in the presence: the user, from whichever node. */
export const userOwner = (user: string): string => `u:${user}`;

/** A member as this node knows it, for re-registering after the presence engine lost its state. */
export interface LocalMember {
  /** `node:member`, unique across the cluster. */
  owner: string;
  nick: string;
  rooms: readonly string[];
  /** The signed-in user (token `sub`) the member is a connection of. */
  user?: string | undefined;
  /** The hash of its reconnect key, kept with its nickname. */
  keyHash?: string | undefined;
}

/** A nickname taken back by a reconnected client: whose it was, and where that old connection still stood. */
export interface Reclaimed {
  /** The owner that held it (`node:member`), or undefined when nobody did. */
  previous: string | undefined;
  /** Rooms the previous owner's entries were removed from (the person is still there: no leave, no join). */
  rooms: string[];
}

/**
 * Who is where, and who holds which nickname, across every node. The hub keeps this node's
 * members; this keeps everybody's. Nicknames are unique by `nickKey` (look, whatever the case).
 * A memory implementation serves one node; the Redis one a cluster, where it also notices
 * dead nodes and reports their members as gone.
 */
export interface Presence {
  /**
   * Takes `nick` for `owner`; false when another member holds it. Holding it already is true.
   * `keyHash`: the hash of the owner's reconnect key, kept with the claim (see `reclaimNick`).
   */
  claimNick(nick: string, owner: string, keyHash?: string): Promise<boolean>;
  /**
   * The same client, reconnected (to any node) while its old connection still holds `nick` (its
   * node crashed, or it is half-open): when `proof` is the key hash kept with the claim, the name
   * passes to `owner` (with `keyHash`, the new connection's) and the old owner's room entries go.
   * Undefined when refused (another key, no key, a signed-in user's name): claim as usual then.
   */
  reclaimNick(nick: string, owner: string, proof: string, keyHash: string): Promise<Reclaimed | undefined>;
  /** Gives `nick` up if `owner` holds it. */
  releaseNick(nick: string, owner: string): Promise<void>;
  /**
   * Records `owner` in `room` as `nick` (again, after a rename). A signed-in user's connections
   * (`user`, on any node) are one person: true when this one made the person present (announce
   * a join); an anonymous member is its own person (always true).
   */
  join(room: string, owner: string, nick: string, user?: string): Promise<boolean>;
  /** true when the person left the room with this (the user's last connection there, on any node). */
  leave(room: string, owner: string, user?: string): Promise<boolean>;
  /** Every person's nickname in the room, from every node, each once. */
  members(room: string): Promise<string[]>;
  /**
   * `handler` gets the leaves of members whose node died, and the joins of members of a node
   * that was taken for dead and came back; the caller announces them.
   */
  onGone(handler: (gone: PresenceEvent[]) => void): void;
  /** Where this node's members come from when they must be registered again. */
  setLocalMembers(list: () => LocalMember[]): void;
  ping(): Promise<void>;
  close(): Promise<void>;
}
