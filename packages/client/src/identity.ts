import { type GetToken, TokenKeeper } from "./auth.ts";
import type { Room } from "./room.ts";
import type { AuthChange, AuthUser, Timers, TypingNotice, UnreadChange } from "./types.ts";
import { TYPING_SEND_INTERVAL_MS, TypingThrottle } from "./typing.ts";
import { UnreadCounts } from "./unread.ts";
import type { SdkEvent, SdkFrame } from "./wire.ts";

export interface IdentityHost {
  transmit(frame: SdkFrame): boolean;
  auth(change: AuthChange): void;
  typing(notice: TypingNotice): void;
  unread(change: UnreadChange): void;
  timers: Timers;
}

/** Who the client is and what follows from it: the token and its refresh, typing notices, read positions. */
export class Identity {
  readonly tokens: TokenKeeper;
  private readonly typingThrottle = new TypingThrottle(TYPING_SEND_INTERVAL_MS, () => Date.now());
  private readonly unreadCounts: UnreadCounts;

  private readonly host: IdentityHost;

  constructor(getToken: GetToken | undefined, host: IdentityHost) {
    this.host = host;
    this.tokens = new TokenKeeper(getToken, {
      sendAuth: (token) => host.transmit({ type: "auth", token }),
      changed: (change) => host.auth(change),
      timers: host.timers,
      now: () => Date.now(),
    });
    this.unreadCounts = new UnreadCounts({
      sendRead: (room, seq) => host.transmit({ type: "read", room, seq }),
      changed: (room, count) => host.unread({ room, count }),
      timers: host.timers,
    });
  }

  get user(): AuthUser | undefined {
    return this.tokens.user;
  }

  /** A room was joined by the app: its new messages count as unread until marked read. */
  watch(room: Room): void {
    room.on("message", (message) => this.unreadCounts.message(room.name, message.seq));
  }

  typing(room: Room | undefined): boolean {
    if (room?.state !== "joined" || !this.typingThrottle.allow(room.name)) return false;
    return this.host.transmit({ type: "typing", room: room.name });
  }

  read(name: string, room: Room | undefined, seq: number | undefined): boolean {
    const upTo = seq ?? room?.lastSeq;
    if (!this.tokens.user || upTo === undefined) return false;
    this.unreadCounts.mark(name, upTo, Math.max(upTo, room?.lastSeq ?? 0), room?.messagesAfter(upTo));
    return true;
  }

  unread(room: string): number | undefined {
    return this.unreadCounts.get(room);
  }

  unreadByRoom(): Record<string, number> {
    return this.unreadCounts.all();
  }

  /** Handles the identity parts of a server event (before the room sees it); true when nothing else is left to do. */
  receive(event: SdkEvent, room: Room | undefined): boolean {
    switch (event.type) {
      case "welcome":
        this.tokens.welcomed(event.user);
        this.unreadCounts.welcomed(event.unread);
        return false;
      case "joined":
        if (room) this.unreadCounts.joined(room.name, event.lastSeq, event.unread);
        return false;
      case "auth":
        this.tokens.refreshed(event.exp);
        return true;
      case "typing":
        room?.handleTyping(event.nick);
        this.host.typing({ room: event.room, nick: event.nick });
        return true;
      case "read":
        this.unreadCounts.read(event.room, event.seq, event.unread);
        return true;
      case "error":
        // `unauthorized` without a room answers a refresh (the SDK sends `read` only when signed in).
        if (event.code === "unauthorized" && event.room === undefined) this.tokens.refreshRefused(event.message);
        return false;
      default:
        return false;
    }
  }

  left(room: string): void {
    this.typingThrottle.forget(room);
  }

  /** Last words before a deliberate close: read positions still held back by the once-a-second window. */
  flush(): void {
    this.unreadCounts.flush();
  }

  lost(): void {
    this.tokens.lost();
    this.unreadCounts.lost();
  }
}
