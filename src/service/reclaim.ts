import { CLOSE } from "../protocol/close-codes.ts";
import type { ChatService } from "./chat-service.ts";
import { reconnectKeyHash } from "./reconnect-key.ts";
import type { Session } from "./session.ts";
import { ACCESS_CHANNEL } from "./users.ts";

/**
 * The same client, reconnected: its old connection (here, or on another node, dead or half-open) still
 * holds `nick`. With the key of that connection's `welcome`, the name passes to this session and the old
 * connection goes without a leave; the rooms it was in are rejoined without a join notice. false when the
 * key does not prove it (another key, a key already used, a signed-in user's name): claim as usual then.
 */
export const reclaimName = async (service: ChatService, session: Session, nick: string, key: string) => {
  const proof = reconnectKeyHash(key);
  const holder = service.hub.find(nick);
  const local = holder && holder !== session.member ? holder.conn : undefined;
  if (local && local.keyHash !== proof) return false;
  const reclaimed = await service.members.reclaim(session.member, nick, proof);
  if (!reclaimed) return false;
  const quiet = new Set(reclaimed.rooms);
  if (local) {
    for (const room of local.member.rooms) quiet.add(room);
    replaceConnection(service, local);
  } else if (reclaimed.previous !== undefined) {
    // Its node, if alive, drops it; a dead node's other ghosts are swept as ever.
    const told = service.options.broker.publish(ACCESS_CHANNEL, { type: "reclaimed", owner: reclaimed.previous });
    service.background("reclaim_publish", told);
  }
  session.quietRooms = quiet;
  // A room the client does not come back to is left after all: the others are told then.
  const shown = nick;
  setTimeout(() => {
    const left = [...(session.quietRooms ?? [])];
    session.quietRooms = undefined;
    service.announce(left.map((room) => ({ room, action: "leave", nick: shown })));
  }, QUIET_REJOIN_MS).unref();
  return true;
};

/** How long the rooms of a name taken back wait for the client to rejoin them before its leave is announced. */
const QUIET_REJOIN_MS = 10_000;

/** Its client took the name to a new connection: this old one is closed without a leave (the person is still here). */
export const replaceConnection = (service: ChatService, old: Session): void => {
  service.close(old.conn, true);
  old.conn.close(CLOSE.normal, "replaced by your new connection");
};
