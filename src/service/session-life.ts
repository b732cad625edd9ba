import type { Hub } from "../chat/hub.ts";
import { CLOSING } from "../protocol/close-codes.ts";
import type { ClientLink } from "../transport/client-link.ts";
import type { LiveBacklogs } from "./history/live-backlogs.ts";
import type { Membership } from "./membership.ts";
import { newReconnectKey, reconnectKeyHash } from "./reconnect-key.ts";
import { type RefusedHook, Session } from "./session.ts";
import type { UserAccess } from "./user-access.ts";

/** What a connection's start and end use of the service. */
export interface SessionLifeHost {
  /** The service's sessions, by link: a session is open while it is in there. */
  readonly sessions: Map<ClientLink, Session>;
  readonly options: { readonly refused?: RefusedHook | undefined };
  readonly hub: Pick<Hub<Session>, "remove">;
  readonly members: Pick<Membership<Session>, "gone" | "removed">;
  readonly userAccess: Pick<UserAccess, "addMember" | "claimName" | "welcome" | "closed">;
  readonly backlogs: Pick<LiveBacklogs, "forget">;
  isOpen(session: Session): boolean;
  report(what: string, error: unknown): void;
  background(what: string, work: Promise<unknown>): void;
  join(session: Session, room: string, since: number | undefined, limit: number | undefined): Promise<void>;
  /** Runs the frames held meanwhile (held-frames.ts) and lets the socket be read again. */
  release(session: Session): void;
  unsubscribeIfEmpty(room: string): void;
}

/** A new connection's session: its name claimed, its welcome, its room when the URL named one (`start`). */
export const openSession = (host: SessionLifeHost, link: ClientLink): Session => {
  const session = new Session(link, (s) => host.userAccess.addMember(s), host.options.refused);
  if (link.info.mode === "json" && !session.identity) {
    session.reconnectKey = newReconnectKey();
    session.keyHash = reconnectKeyHash(session.reconnectKey);
  }
  host.sessions.set(link, session);
  start(host, session).catch((error: unknown) => {
    host.report("session_start", error);
    // The client is told, and may come back: nothing of it was half set up for long.
    if (host.isOpen(session)) link.close(CLOSING.sessionFailed);
  });
  return session;
};

/** The member's random nickname is taken across the cluster (another if it is held), then the welcome. */
const start = async (host: SessionLifeHost, session: Session): Promise<void> => {
  const { link } = session;
  await host.userAccess.claimName(session);
  if (link.info.mode === "json" && host.isOpen(session)) await host.userAccess.welcome(session);
  if (!host.isOpen(session)) {
    host.background("presence_gone", host.members.gone(session.member, []));
    return;
  }
  const joined = link.info.autoJoin
    ? host.join(session, link.info.room, link.info.since, undefined)
    : Promise.resolve();
  host.release(session);
  await joined;
};

/**
 * The connection is gone (any reason): remove the member first, then announce the leaves. `replaced`:
 * its client took its name to a new connection (reclaim.ts), so the person is still here: no leave.
 */
export const closeSession = (host: SessionLifeHost, link: ClientLink, replaced: boolean): void => {
  const session = host.sessions.get(link);
  if (!session) return;
  host.sessions.delete(link);
  for (const [room, sub] of session.subs) host.backlogs.forget(room, sub);
  session.subs.clear();
  const rooms = [...session.member.rooms];
  const leaves = host.hub.remove(session.member);
  // replaced: only its entries go; the name is no longer its own
  if (replaced) host.background("presence_gone", host.members.gone(session.member, rooms));
  else host.members.removed(session.member, leaves);
  for (const room of rooms) host.unsubscribeIfEmpty(room);
  host.userAccess.closed(session);
};
