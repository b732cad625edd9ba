import type { RoomEvent } from "../broker/broker.ts";
import type { Hub } from "../chat/hub.ts";
import type { ChatMessage } from "../chat/message.ts";
import { encodeEvent, encodeMessage } from "../protocol/json.ts";
import { textLeft, textOf, textRenamed } from "../protocol/text.ts";
import type { RoomDelivery } from "../transport/client-link.ts";
import type { MentionRelay } from "./conversation/mentions.ts";
import type { LiveBacklogs } from "./history/live-backlogs.ts";
import type { ReadPositionRelay } from "./read-positions.ts";
import type { RoomOrder } from "./room-order.ts";
import type { RoomWatchers } from "./room-watchers.ts";
import type { Session } from "./session.ts";
import type { TypingRelay } from "./typing-relay.ts";
import type { UserAccess } from "./user-access.ts";

/** What delivering the broker's events uses of the service. */
export interface RoomEventsHost {
  watchers: RoomWatchers;
  hub: Hub<Session>;
  order: RoomOrder;
  delivery: RoomDelivery;
  backlogs: LiveBacklogs;
  typingRelay: TypingRelay;
  reads: ReadPositionRelay;
  userAccess: UserAccess;
  mentions: MentionRelay;
  /** A client took its name to a new connection: the old one (`owner`), if here, is dropped without a leave. */
  replaceOwner(owner: string): void;
}

/** Everything the broker brings for a room, from this node or another. */
export const deliverRoomEvent = (host: RoomEventsHost, room: string, event: RoomEvent): void => {
  host.watchers.notify(room, event);
  if (event.type === "message") {
    // late events of a room nobody here is in any more would start its order again
    if (host.hub.membersOf(room).size > 0) host.order.offer(event.message);
  } else if (event.type === "presence") {
    const p = event.presence;
    const text = p.action === "leave" ? textLeft(p.nick) : p.action === "nick" ? textRenamed(p.from, p.nick) : null;
    host.delivery.toRoom(room, text, () => encodeEvent({ type: "presence", ...p }), true);
  } else if (event.type === "reclaimed") host.replaceOwner(event.owner);
  else if (event.type === "delete") {
    const seq = event.seq;
    host.delivery.toRoom(room, null, () => encodeEvent({ type: "delete", room, seq }));
  } else if (event.type === "typing") host.typingRelay.deliver(room, event.nick);
  else if (event.type === "read") host.reads.moved(event);
  else if (event.type === "access") host.userAccess.applyPrivacy(event.room, event.private);
  else if (event.type === "mention") {
    host.mentions.deliver(event, () => [...host.hub.membersOf(room)].map((m) => m.session));
  }
};

/** A message in its room's order: to the members catching up (kept aside) and to the live stream. */
export const deliverMessage = (backlogs: LiveBacklogs, delivery: RoomDelivery, message: ChatMessage): void => {
  backlogs.keep(message);
  // Encoded at flush, and only for modes someone in the room speaks.
  // a reaction says nothing to a text client (textOf gives null)
  const text = message.change?.kind === "react" ? null : () => textOf(message) as string;
  delivery.toRoom(message.room, text, () => encodeMessage(message));
};
