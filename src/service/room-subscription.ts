import { ParleyError } from "../chat/errors.ts";
import { CLOSE } from "../protocol/close-codes.ts";
import type { ChatService } from "./chat-service.ts";
import type { Session } from "./session.ts";

/**
 * The broker carries the room's events to this node (Redis confirms within a bound); when it cannot,
 * the member is told and taken out of the room, and the failure is reported. true: subscribed.
 */
export const subscribeOrRefuse = async (service: ChatService, session: Session, room: string): Promise<boolean> => {
  try {
    await service.options.broker.subscribe(room);
    return true;
  } catch (error) {
    service.options.report?.("subscribe", error);
    if (!service.isOpen(session) || !session.member.rooms.has(room)) return false;
    // A Cookbook client has its one room: without it there is nothing to stay connected for.
    if (session.member.mode === "text") {
      session.conn.close(CLOSE.tryAgainLater, "the chat is not answering: reconnect shortly");
      return false;
    }
    service.fail(session, new ParleyError("unavailable", `${room} could not be joined now; try again.`), { room });
    service.leave(session, room, false);
    return false;
  }
};
