import type { RoomEvent } from "../../broker/broker.ts";
import { ParleyError } from "../../chat/errors.ts";
import type { RoomAccess } from "../../chat/identity.ts";
import { mentionsIn, ROOM_MENTIONS } from "../../chat/mentions.ts";
import type { ChatMessage } from "../../chat/message.ts";
import type { UserStore } from "../../store/user-store.ts";
import type { Session } from "../session.ts";
import { userChannel } from "../users.ts";

/** What the mention relay uses of the service. */
export interface MentionsHost {
  /** Publishes on the broker without waiting; a failure is reported. */
  publish(channel: string, event: RoomEvent): void;
  /** A signed-in user's sessions on this node. */
  sessionsOf(user: string): Session[];
}

type MentionEvent = Extract<RoomEvent, { type: "mention" }>;

/** One `@room`/`@here` per sender and this many milliseconds: the rest of the room is not paged more often. */
export const ROOM_MENTION_INTERVAL_MS = 30_000;

/**
 * `@nick` in a message: the signed-in user of that name hears a `mention` event on every
 * connection, on every node, whatever room they are looking at (published on their user channel),
 * with `mentions`: their mentions in that room not yet read (kept in the user store, like read positions).
 * `@room`/`@here`: every member of the room now (published on the room), at most once per sender
 * per interval; one over the rate is refused aloud (`rate_limited`), the message itself stays sent.
 */
export class MentionRelay {
  private readonly lastRoomMention = new WeakMap<Session, number>();

  private readonly host: MentionsHost;
  private readonly users: Pick<UserStore, "nameOwner" | "addMention" | "mentionCounts">;
  private readonly access: RoomAccess;
  private readonly now: () => number;

  constructor(
    host: MentionsHost,
    users: Pick<UserStore, "nameOwner" | "addMention" | "mentionCounts">,
    access: RoomAccess,
    now: () => number,
  ) {
    this.host = host;
    this.users = users;
    this.access = access;
    this.now = now;
  }

  async mentioned(session: Session, message: ChatMessage): Promise<void> {
    const names = mentionsIn(message.text);
    if (names.length === 0) return;
    const { room, seq, nick, text, ts } = message;
    const event = { type: "mention", room, seq, nick, text, ts } as const;
    for (const name of names) {
      if ((ROOM_MENTIONS as readonly string[]).includes(name.toLowerCase())) {
        const last = this.lastRoomMention.get(session);
        if (last !== undefined && this.now() - last < ROOM_MENTION_INTERVAL_MS) {
          const why = `@${name} pages the whole room at most once per ${ROOM_MENTION_INTERVAL_MS / 1000} s; your message was sent without it.`;
          session.fail(new ParleyError("rate_limited", why), { room });
          continue;
        }
        this.lastRoomMention.set(session, this.now());
        this.host.publish(room, event);
        continue;
      }
      const user = await this.users.nameOwner(name);
      if (user === undefined) continue;
      // Durable before anyone hears of it: the count is the same on every device and after a restart.
      await this.users.addMention(user, room, seq);
      const mentions = (await this.users.mentionCounts(user)).get(room) ?? 0;
      this.host.publish(userChannel(user), { ...event, user, mentions });
    }
  }

  /** A mention reached this node: to the user's connections (or, for `@room`, the room's members here). */
  deliver(event: MentionEvent, roomMembers: () => Iterable<Session>): void {
    const { room, seq, nick, text, ts, mentions } = event;
    const sessions = event.user === undefined ? roomMembers() : this.host.sessionsOf(event.user);
    for (const session of sessions) {
      // A connection whose own token does not grant a private room hears nothing of it.
      if (session.member.mode !== "json" || !this.access.mayEnter(session.identity, room)) continue;
      if (event.user === undefined && session.member.nick === nick) continue; // not the sender's own @room
      session.reply(
        mentions === undefined
          ? { type: "mention", room, seq, nick, text, ts }
          : { type: "mention", room, seq, nick, text, ts, mentions },
      );
    }
  }
}
