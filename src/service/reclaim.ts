import type { RoomEvent } from "../broker/broker.ts";
import type { Hub, PresenceEvent } from "../chat/hub.ts";
import { CLOSING } from "../protocol/close-codes.ts";
import type { ClientLink } from "../transport/client-link.ts";
import type { Membership } from "./membership.ts";
import { reconnectKeyHash } from "./reconnect-key.ts";
import type { Session } from "./session.ts";
import { ACCESS_CHANNEL } from "./users.ts";

/** What taking a name back uses of the host. */
export interface ReclaimHost {
  readonly hub: Pick<Hub<Session>, "find">;
  readonly members: Pick<Membership<Session>, "reclaim">;
  /** Publishes on the broker without waiting; a failure is reported under `what`. */
  publish(channel: string, event: RoomEvent, what: string): void;
  announce(events: PresenceEvent[]): void;
  /** The connection is gone; `replaced`: without a leave. */
  close(link: ClientLink, replaced: boolean): void;
}

/**
 * The same client, reconnected: its old connection (here, or on another node, dead or half-open) still
 * holds `nick`. With the key of that connection's `welcome`, the name passes to this session and the old
 * connection goes without a leave; the rooms it was in are rejoined without a join notice. false when the
 * key does not prove it (another key, a key already used, a signed-in user's name): claim as usual then.
 */
export const reclaimName = async (host: ReclaimHost, session: Session, nick: string, key: string) => {
  const proof = reconnectKeyHash(key);
  const holder = host.hub.find(nick);
  const local = holder && holder !== session.member ? holder.session : undefined;
  if (local && local.keyHash !== proof) return false;
  const reclaimed = await host.members.reclaim(session.member, nick, proof);
  if (!reclaimed) return false;
  const quiet = new Set(reclaimed.rooms);
  if (local) {
    for (const room of local.member.rooms) quiet.add(room);
    replaceConnection(host, local);
  } else if (reclaimed.previous !== undefined) {
    // Its node, if alive, drops it; a dead node's other ghosts are swept as ever.
    host.publish(ACCESS_CHANNEL, { type: "reclaimed", owner: reclaimed.previous }, "reclaim_publish");
  }
  session.quietRooms = quiet;
  // A room the client does not come back to is left after all: the others are told then.
  const shown = nick;
  setTimeout(() => {
    const left = [...(session.quietRooms ?? [])];
    session.quietRooms = undefined;
    host.announce(left.map((room) => ({ room, action: "leave", nick: shown })));
  }, QUIET_REJOIN_MS).unref();
  return true;
};

/** How long the rooms of a name taken back wait for the client to rejoin them before its leave is announced. */
const QUIET_REJOIN_MS = 10_000;

/** Its client took the name to a new connection: this old one is closed without a leave (the person is still here). */
export const replaceConnection = (host: Pick<ReclaimHost, "close">, old: Session): void => {
  host.close(old.link, true);
  old.link.close(CLOSING.replaced);
};
