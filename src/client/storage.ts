/**
 * What the page keeps in localStorage: the nickname, and sends not yet acknowledged, so that
 * even a reload while offline loses no input (they are sent again with the same cid: stored once).
 */
export interface PendingSend {
  room: string;
  cid: string;
  text: string;
  /** An uploaded file the message carries (its bytes are on the server already). */
  file?: { id: string; name: string };
}

const NICK = "parley.nick";
const PENDING = "parley.pending";

const read = (key: string): string | null => {
  try {
    return localStorage.getItem(key);
  } catch {
    return null; // storage disabled: the page still works, without memory
  }
};

const write = (key: string, value: string | null): void => {
  try {
    if (value === null) localStorage.removeItem(key);
    else localStorage.setItem(key, value);
  } catch {
    // as above
  }
};

export const savedNick = (): string | undefined => read(NICK) ?? undefined;
export const saveNick = (nick: string): void => write(NICK, nick);

export const savedPending = (): PendingSend[] => {
  try {
    const parsed: unknown = JSON.parse(read(PENDING) ?? "[]");
    if (!Array.isArray(parsed)) return [];
    return parsed.filter(
      (p): p is PendingSend =>
        typeof p === "object" &&
        p !== null &&
        typeof p.room === "string" &&
        typeof p.cid === "string" &&
        typeof p.text === "string" &&
        (p.file === undefined || (typeof p.file?.id === "string" && typeof p.file.name === "string")),
    );
  } catch {
    return [];
  }
};

export const addPending = (send: PendingSend): void => {
  write(PENDING, JSON.stringify([...savedPending().filter((p) => p.cid !== send.cid), send]));
};

export const removePending = (cid: string): void => {
  const left = savedPending().filter((p) => p.cid !== cid);
  write(PENDING, left.length > 0 ? JSON.stringify(left) : null);
};

const ROOMS = "parley.rooms";
const DRAFT = "parley.draft.";
const READ = "parley.read.";
const THEME = "parley.theme";

/** The rooms joined on this browser, in the order they were joined: they come back after a reload. */
export const savedRooms = (): string[] => {
  try {
    const parsed: unknown = JSON.parse(read(ROOMS) ?? "[]");
    return Array.isArray(parsed) ? parsed.filter((r): r is string => typeof r === "string") : [];
  } catch {
    return [];
  }
};

export const saveRooms = (rooms: Iterable<string>): void => write(ROOMS, JSON.stringify([...rooms]));

/** What was typed in a room and not sent yet. */
export const savedDraft = (room: string): string => read(DRAFT + room) ?? "";
export const saveDraft = (room: string, text: string): void => write(DRAFT + room, text === "" ? null : text);

/** The last message seen in a room by this browser: where "New messages" goes for a page not signed in. */
export const savedReadSeq = (room: string): number | undefined => {
  const seq = Number(read(READ + room));
  return Number.isInteger(seq) && seq > 0 ? seq : undefined;
};
export const saveReadSeq = (room: string, seq: number): void => write(READ + room, String(seq));

export type Theme = "light" | "dark" | "system";
export const savedTheme = (): Theme => {
  const theme = read(THEME);
  return theme === "light" || theme === "dark" ? theme : "system";
};
export const saveTheme = (theme: Theme): void => write(THEME, theme === "system" ? null : theme);
