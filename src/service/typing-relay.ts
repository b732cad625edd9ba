import { ParleyError } from "../chat/errors.ts";
import { TypingThrottle } from "../chat/typing.ts";
import { encodeEvent } from "../protocol/json.ts";
import { textFrame } from "../protocol/ws-frame.ts";
import type { ChatService } from "./chat-service.ts";
import type { Session } from "./session.ts";

/**
 * `{"type":"typing","room"}`: relayed to the room's other JSON members on every node, at most once
 * per person and room per interval; never stored, and the first thing dropped for a slow reader.
 */
export class TypingRelay {
  private readonly throttle: TypingThrottle;

  constructor(
    private readonly service: ChatService,
    intervalMs: number,
  ) {
    this.throttle = new TypingThrottle(intervalMs);
  }

  typing(session: Session, room: string): void {
    if (!session.member.rooms.has(room)) {
      this.service.fail(session, new ParleyError("not_in_room", `You are not in ${room}.`), { room });
      return;
    }
    // A signed-in user's tabs are one person: one throttle for all of them.
    const who = session.member.user ?? `#${session.member.id}`;
    if (!this.throttle.allow(who, room, this.service.options.now())) return;
    this.service.background(
      "publish",
      this.service.options.broker.publish(room, { type: "typing", room, nick: session.member.nick }),
    );
  }

  /** A typing notice for the room (from any node): to its live JSON members but the typist. */
  deliver(room: string, nick: string): void {
    let frame: Buffer | undefined;
    for (const member of this.service.hub.membersOf(room)) {
      if (member.mode !== "json" || member.nick === nick || !member.conn.subs.get(room)?.live) continue;
      frame ??= textFrame(encodeEvent({ type: "typing", room, nick }));
      member.conn.conn.enqueue(frame, true);
    }
  }
}
