import { ParleyError } from "../chat/errors.ts";
import { CLOSING } from "../protocol/close-codes.ts";
import type { Session } from "./session.ts";

/** What subscribing a room uses of the host. */
export interface SubscriptionHost {
  /** Subscribes this node to the room's events on the broker. */
  subscribe(room: string): Promise<void>;
  /** Logs work that failed with no client request to answer. */
  report(what: string, error: unknown): void;
  isOpen(session: Session): boolean;
  leave(session: Session, room: string, confirm?: boolean): void;
}

/**
 * The broker carries the room's events to this node (Redis confirms within a bound); when it cannot,
 * the member is told and taken out of the room, and the failure is reported. true: subscribed.
 */
export const subscribeOrRefuse = async (host: SubscriptionHost, session: Session, room: string): Promise<boolean> => {
  try {
    await host.subscribe(room);
    return true;
  } catch (error) {
    host.report("subscribe", error);
    if (!host.isOpen(session) || !session.member.rooms.has(room)) return false;
    // A Cookbook client has its one room: without it there is nothing to stay connected for.
    if (session.member.mode === "text") {
      session.link.close(CLOSING.chatUnavailable);
      return false;
    }
    session.fail(new ParleyError("unavailable", `${room} could not be joined now; try again.`), { room });
    host.leave(session, room, false);
    return false;
  }
};
