import { isParleyError, ParleyError } from "../chat/errors.ts";
import type { Hub } from "../chat/hub.ts";
import { validateNick } from "../chat/nick.ts";
import { holdFrames } from "./held-frames.ts";
import type { Membership } from "./membership.ts";
import { type ReclaimHost, reclaimName } from "./reclaim.ts";
import type { Session } from "./session.ts";
import type { UserAccess } from "./user-access.ts";

/** What a nickname change uses of the service. */
export interface RenameHost extends ReclaimHost {
  readonly hub: ReclaimHost["hub"] & Pick<Hub<Session>, "rename">;
  readonly members: ReclaimHost["members"] & Pick<Membership<Session>, "claimRename" | "gone" | "renamed">;
  readonly userAccess: Pick<UserAccess, "checkRename">;
  readonly options: {
    nickBanned?: (nick: string) => boolean;
    nickRequested?: (outcome: string) => void;
  };
  isOpen(session: Session): boolean;
  background(what: string, work: Promise<unknown>): void;
  /** Runs the frames held meanwhile (held-frames.ts) and lets the socket be read again. */
  release(session: Session): void;
}

/**
 * Takes the nickname across the cluster first, then here; announces it in every room of the member.
 * With the `reconnectKey` of the client's previous connection, a name that connection still holds is taken back.
 * The session's later frames wait until the name is settled, so they are seen under it.
 */
export const renameSession = async (
  host: RenameHost,
  session: Session,
  requested: string,
  reconnectKey?: string,
): Promise<void> => {
  const from = session.member.nick;
  holdFrames(session);
  try {
    const nick = validateNick(requested); // as it will be shown: NFKC
    if (host.options.nickBanned?.(nick)) throw new ParleyError("forbidden", `The nickname ${nick} is banned here.`);
    await host.userAccess.checkRename(session, nick);
    const reclaimed = reconnectKey !== undefined && (await reclaimName(host, session, nick, reconnectKey));
    if (!reclaimed) await host.members.claimRename(session.member, nick);
    if (!host.isOpen(session)) {
      host.background("presence_gone", host.members.gone(session.member, [], nick));
      return;
    }
    const events = host.hub.rename(session.member, nick);
    host.options.nickRequested?.(reclaimed ? "reclaimed" : "changed");
    if (session.member.mode === "json") session.reply({ type: "nick", nick: session.member.nick });
    await host.members.renamed(session.member, from);
    host.announce(events);
  } catch (error) {
    host.options.nickRequested?.(isParleyError(error) ? error.code : "internal");
    session.fail(error, {});
  } finally {
    host.release(session);
  }
};
