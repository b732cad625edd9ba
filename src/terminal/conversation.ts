import type { Ack, MessageUpdate, Room } from "parley-client";
import { clean } from "./format.ts";

const VERBS = new Set(["edit", "delete", "react", "reply"]);

/** How a change someone made is shown (stdout, with the conversation). */
export const updateLine = (u: MessageUpdate): string => {
  const by = clean(u.by ?? "someone");
  if (u.kind === "edit") return `* ${by} edited: ${clean(u.message.text)}`;
  if (u.kind === "delete") return `* ${by} deleted a message of ${clean(u.message.nick)}`;
  return `* ${by} ${u.on ? "reacted" : "took back"} ${clean(u.emoji ?? "")} to ${clean(u.message.nick)}: ${clean(u.message.text)}`;
};

/**
 * `/edit`, `/delete`, `/react`, `/reply` in their simple form: without a number they act on your last
 * message in the room (edit, delete) or on the room's last message (react, reply).
 */
export class ConversationCommands {
  private readonly ownLast = new Map<Room, number>();

  private readonly note: (line: string) => void;
  /** Waits for the ack and the echo, like a line said (so piped input ends after them). */
  private readonly track: (room: Room, sent: Promise<Ack>) => void;

  constructor(note: (line: string) => void, track: (room: Room, sent: Promise<Ack>) => void) {
    this.note = note;
    this.track = track;
  }

  handles(verb: string): boolean {
    return VERBS.has(verb);
  }

  /** A message of yours was stored at `seq`. */
  sent(room: Room, seq: number): void {
    this.ownLast.set(room, seq);
  }

  run(verb: string, arg: string, room: Room | undefined): void {
    if (!room) {
      this.note("! you are not in a room; /join one");
      return;
    }
    const numbered = /^(\d+)(?:\s+(.*))?$/s.exec(arg);
    const explicit = numbered ? Number(numbered[1]) : undefined;
    const rest = (numbered ? (numbered[2] ?? "") : arg).trim();
    const roomLast = room.messages.filter((m) => !m.deleted).at(-1)?.seq;
    const target = explicit ?? (verb === "edit" || verb === "delete" ? this.ownLast.get(room) : roomLast);
    if (target === undefined) {
      this.note(`! /${verb}: no message to ${verb} yet; give its number`);
      return;
    }
    if (verb !== "delete" && rest === "") {
      this.note(`! /${verb} needs ${verb === "react" ? "an EMOJI" : "a TEXT"}`);
      return;
    }
    const sent =
      verb === "edit"
        ? room.edit(target, rest)
        : verb === "delete"
          ? room.delete(target)
          : verb === "react"
            ? room.react(target, rest)
            : room.reply(target, rest);
    if (verb === "reply") sent.then((ack) => this.sent(room, ack.seq)).catch(() => {});
    this.track(room, sent);
  }
}
