/**
 * What the page keeps in localStorage: the nickname, and sends not yet acknowledged, so that
 * even a reload while offline loses no input (they are sent again with the same cid: stored once).
 */
export interface PendingSend {
  room: string;
  cid: string;
  text: string;
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
        typeof p.text === "string",
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
