import { humanSize } from "../chat/file-size.ts";
import type { ChatMessage } from "../chat/message.ts";

/**
 * The Cookbook's plain-text wire, byte for byte: `(format nil "~a: ~a" nick message)` and
 * `(format nil " .... ~a has left." nick)`. Parley's additions use the same ` .... ` prefix.
 */
export const SUBPROTOCOL_NONE = "";

export const textMessage = (nick: string, text: string): string => `${nick}: ${text}`;
export const textLeft = (nick: string): string => ` .... ${nick} has left.`;
export const textRenamed = (from: string, to: string): string => ` .... ${from} is now known as ${to}.`;
export const textWho = (room: string, nicks: readonly string[]): string => ` .... in ${room}: ${nicks.join(", ")}.`;
export const textError = (message: string): string => ` .... error: ${message}`;

/** A message carrying a file, for text mode: `look [file: report.pdf, 12 kB, /files/<id>]` (docs/files.md). */
const withFile = (text: string, file: NonNullable<ChatMessage["file"]>): string => {
  const line = `[file: ${file.name}, ${humanSize(file.size)}, /files/${file.id}]`;
  return text === "" ? line : `${text} ${line}`;
};

/**
 * What a Cookbook client sees of a room event: a message is `nick: text` (byte for byte); an edit
 * ` .... alice edited: new text`; a delete ` .... alice deleted a message.`; a reaction nothing (null).
 */
export const textOf = (m: ChatMessage): string | null => {
  const change = m.change;
  if (!change) return m.file ? textMessage(m.nick, withFile(m.text, m.file)) : textMessage(m.nick, m.text);
  if (change.kind === "edit") return ` .... ${m.nick} edited: ${change.target.text}`;
  if (change.kind === "delete") return ` .... ${m.nick} deleted a message.`;
  return null;
};
