/** How long "X is typing…" stays after a notice: a bit more than the server's 3 s relay interval, so it holds while X types. */
export const TYPING_SHOWN_MS = 4000;

/** Who is typing in which room, each until a few seconds after their last notice (or their message). */
export class TypingLine {
  private readonly typers = new Map<string, Map<string, ReturnType<typeof setTimeout>>>();

  private readonly changed: (room: string) => void;

  constructor(changed: (room: string) => void) {
    this.changed = changed;
  }

  typing(room: string, nick: string): void {
    let inRoom = this.typers.get(room);
    if (!inRoom) {
      inRoom = new Map();
      this.typers.set(room, inRoom);
    }
    clearTimeout(inRoom.get(nick));
    inRoom.set(
      nick,
      setTimeout(() => this.stopped(room, nick), TYPING_SHOWN_MS),
    );
    this.changed(room);
  }

  /** Their message arrived (or they left): no longer typing. */
  stopped(room: string, nick: string): void {
    const inRoom = this.typers.get(room);
    if (!inRoom?.has(nick)) return;
    clearTimeout(inRoom.get(nick));
    inRoom.delete(nick);
    this.changed(room);
  }

  /** "alice is typing…", "alice and bob are typing…", "alice, bob and 2 others are typing…", or "". */
  text(room: string): string {
    const nicks = [...(this.typers.get(room)?.keys() ?? [])];
    const [first, second] = nicks;
    if (first === undefined) return "";
    if (second === undefined) return `${first} is typing…`;
    if (nicks.length === 2) return `${first} and ${second} are typing…`;
    if (nicks.length === 3) return `${first}, ${second} and ${nicks[2]} are typing…`;
    return `${first}, ${second} and ${nicks.length - 2} others are typing…`;
  }
}
