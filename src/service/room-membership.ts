import type { Hub, PresenceEvent } from "../chat/hub.ts";
import { validateRoomName } from "../chat/room-name.ts";
import { snapshotEvent } from "../protocol/json.ts";
import { textWho } from "../protocol/text.ts";
import { type CatchUpHost, catchUpJson, catchUpText } from "./history/join-catch-up.ts";
import type { LiveBacklogs } from "./history/live-backlogs.ts";
import { inReadLane } from "./history/read-lane.ts";
import type { Membership } from "./membership.ts";
import { type SubscriptionHost, subscribeOrRefuse } from "./room-subscription.ts";
import type { RoomSub, Session } from "./session.ts";
import type { UserAccess } from "./user-access.ts";

/** What joining, leaving and `who` use of the service. */
export interface RoomMembershipHost extends SubscriptionHost {
  readonly hub: Pick<Hub<Session>, "join" | "leave" | "membersOf">;
  readonly members: Pick<Membership<Session>, "joined" | "leftRoom" | "members">;
  readonly userAccess: Pick<UserAccess, "checkEnter" | "keepJoined" | "mayWatch">;
  readonly backlogs: Pick<LiveBacklogs, "track" | "forget">;
  readonly catchUpHost: CatchUpHost;
  announce(events: PresenceEvent[]): void;
  /** Drops the room's broker subscription when nobody here needs it any more. */
  unsubscribeIfEmpty(room: string): void;
}

/** A member joins a room: here, across the cluster (announced), on the broker, then its catch-up. */
export const joinRoom = async (
  host: RoomMembershipHost,
  session: Session,
  rawRoom: string,
  since: number | undefined,
  limit: number | undefined,
): Promise<void> => {
  let room: string;
  const sub: RoomSub = { live: false, backlog: [] };
  try {
    room = validateRoomName(rawRoom);
    host.userAccess.checkEnter(session, room);
    const joinedAs = host.hub.join(session.member, room);
    const picture = session.identity?.picture;
    const event = picture === undefined ? joinedAs : { ...joinedAs, picture };
    host.userAccess.keepJoined(session, room, true);
    session.subs.set(room, sub);
    host.backlogs.track(room, sub);
    const quiet = session.quietRooms?.delete(room) === true; // back after a reconnect: never seen to leave
    if ((await host.members.joined(session.member, room)) && !quiet) host.announce([event]);
  } catch (error) {
    session.fail(error, { room: rawRoom });
    return;
  }
  if (!(await subscribeOrRefuse(host, session, room))) return;
  if (session.member.mode === "text") await catchUpText(host.catchUpHost, session, room, sub);
  else await inReadLane(session, () => catchUpJson(host.catchUpHost, session, room, sub, since, limit));
};

export const leaveRoom = (host: RoomMembershipHost, session: Session, room: string, confirm: boolean): void => {
  try {
    const event = host.hub.leave(session.member, room);
    const sub = session.subs.get(room);
    session.subs.delete(room);
    if (sub) host.backlogs.forget(room, sub);
    if (confirm) {
      session.reply({ type: "left", room });
      host.userAccess.keepJoined(session, room, false);
    }
    host.members.leftRoom(session.member, event);
    host.unsubscribeIfEmpty(room);
  } catch (error) {
    session.fail(error, { room });
  }
};

export const answerWho = async (host: RoomMembershipHost, session: Session, room: string): Promise<void> => {
  if (!host.userAccess.mayWatch(session, room)) return;
  const members = await host.members.members(room);
  if (session.member.mode === "text") session.link.send(textWho(room, members));
  else session.reply(snapshotEvent(room, members, picturesOf(host.hub, room)));
};

/** The pictures of the signed-in members of `room` connected to this node (others show initials until they join). */
export const picturesOf = (hub: Pick<Hub<Session>, "membersOf">, room: string): Record<string, string> => {
  const pictures: Record<string, string> = {};
  for (const member of hub.membersOf(room)) {
    const picture = member.session.identity?.picture;
    if (picture !== undefined) pictures[member.nick] = picture;
  }
  return pictures;
};
