import type { RoomEvent } from "../broker/broker.ts";
import { ParleyError } from "../chat/errors.ts";
import type { Member } from "../chat/hub.ts";
import { TypingThrottle } from "../chat/typing.ts";
import { encodeEvent } from "../protocol/json.ts";
import { textFrame } from "../protocol/ws-frame.ts";
import type { Session } from "./session.ts";

/** What the typing relay uses of the service. */
export interface TypingHost {
  now(): number;
  /** Publishes on the broker without waiting; a failure is reported. */
  publish(channel: string, event: RoomEvent): void;
  /** The room's members on this node. */
  membersOf(room: string): Iterable<Member<Session>>;
}

/**
 * `{"type":"typing","room"}`: relayed to the room's other JSON members on every node, at most once
 * per person and room per interval; never stored, and the first thing dropped for a slow reader.
 */
export class TypingRelay {
  private readonly throttle: TypingThrottle;

  private readonly host: TypingHost;

  constructor(host: TypingHost, intervalMs: number) {
    this.host = host;
    this.throttle = new TypingThrottle(intervalMs);
  }

  typing(session: Session, room: string): void {
    if (!session.member.rooms.has(room)) {
      session.fail(new ParleyError("not_in_room", `You are not in ${room}.`), { room });
      return;
    }
    // A signed-in user's tabs are one person: one throttle for all of them.
    const who = session.member.user ?? `#${session.member.id}`;
    if (!this.throttle.allow(who, room, this.host.now())) return;
    this.host.publish(room, { type: "typing", room, nick: session.member.nick });
  }

  /** A typing notice for the room (from any node): to its live JSON members but the typist. */
  deliver(room: string, nick: string): void {
    let frame: Buffer | undefined;
    for (const member of this.host.membersOf(room)) {
      if (member.mode !== "json" || member.nick === nick || !member.session.subs.get(room)?.live) continue;
      frame ??= textFrame(encodeEvent({ type: "typing", room, nick }));
      member.session.link.enqueue(frame, true);
    }
  }
}
