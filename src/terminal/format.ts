import type { ChatMessage, PresenceChange, StateChange } from "parley-client";
import { humanSize } from "../chat/file-size.ts";

/** How the terminal client shows things to a person (stdout: the conversation; stderr: the connection). */
const clock = (ts: number): string => {
  const d = new Date(ts);
  return `${String(d.getHours()).padStart(2, "0")}:${String(d.getMinutes()).padStart(2, "0")}`;
};

// Control characters from other people's text would move the cursor or recolour the terminal.
// biome-ignore lint/suspicious/noControlCharactersInRegex: that is exactly what this matches
const CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;
export const clean = (text: string): string => text.replace(CONTROLS, "?");

/** `parent`: the nick of the message a reply answers, when known; `origin`: the server's http(s) origin, for file links. */
export const messageLine = (m: ChatMessage, showRoom: boolean, parent?: string, origin = ""): string =>
  `[${clock(m.ts)}] ${showRoom ? `#${m.room} ` : ""}${clean(m.nick)}${m.replyTo !== undefined ? ` ↪ ${clean(parent ?? `#${m.replyTo}`)}` : ""}: ${m.deleted ? "(deleted)" : clean(m.text)}${m.file && !m.deleted ? fileNote(m.file, m.text, origin) : ""}${m.edited !== undefined ? " (edited)" : ""}`;

const fileNote = (file: NonNullable<ChatMessage["file"]>, text: string, origin: string): string =>
  `${text === "" ? "" : " "}[file: ${clean(file.name)}, ${humanSize(file.size)}, ${origin}/files/${file.id}]`;

export const presenceLine = (p: PresenceChange): string | undefined => {
  const where = `#${p.room}`;
  if (p.action === "join") return `* ${clean(p.nick ?? "")} joined ${where}`;
  if (p.action === "leave") return `* ${clean(p.nick ?? "")} left ${where}`;
  if (p.action === "nick") return `* ${clean(p.from ?? "")} is now known as ${clean(p.nick ?? "")}`;
  return undefined;
};

export const stateLine = (s: StateChange, url: string): string | undefined => {
  const why = s.code !== undefined ? ` (${s.code}${s.reason ? `: ${s.reason}` : ""})` : "";
  if (s.state === "connected") return `* connected to ${url}`;
  if (s.state === "reconnecting") return `* connection lost${why}; reconnecting in ${(s.delay ?? 0) / 1000} s`;
  if (s.state === "disconnected") return `* disconnected${why}${s.willReconnect ? "" : "; not reconnecting"}`;
  return undefined;
};

export const HELP = `Commands: /nick NAME, /join ROOM, /leave [ROOM], /who, /quit;
/edit [N] TEXT, /delete [N], /react [N] EMOJI, /reply [N] TEXT (N: a seq);
/upload PATH (shares a file in the current room);
anything else is said in the current room.
Start a line with // to say something that begins with /.`;

export const unknownCommand = (verb: string): string =>
  `! unknown command /${clean(verb)}; try /nick NAME, /join ROOM, /leave [ROOM], /who, /edit, /delete, /react, /reply, /upload PATH, /quit (// to say a line starting with /)`;
