import type { Change, ChangeKind, ChatMessage, FileRef, Reaction } from "../chat/message.ts";

/**
 * How the SQL stores keep conversations: a change event is a row of `messages` with `kind`, `target`
 * and `detail` (its changeKey, emoji and on: JSON); a message row keeps `owner`, `reply_to` and its
 * current state (`edited`, `deleted`, `reactions` as JSON, `text` emptied by a delete); a message row's
 * `detail` holds the file it carries (`{"file": …}`: docs/files.md), dropped from reads once it is deleted.
 */
export const CONVERSATION_COLUMNS: ReadonlyArray<[string, string]> = [
  ["kind", "TEXT"],
  ["target", "INTEGER"],
  ["detail", "TEXT"],
  ["owner", "TEXT"],
  ["reply_to", "INTEGER"],
  ["edited", "INTEGER"],
  ["deleted", "INTEGER"],
  ["reactions", "TEXT"],
];

/** A row as the reads select it: the event or message, and for an event the changed message (`t_`). */
export interface ConversationRow {
  room: string;
  seq: number | string;
  id: string;
  nick: string;
  text: string;
  ts: number | string;
  kind: string | null;
  detail: string | null;
  reply_to: number | string | null;
  edited: number | string | null;
  deleted: number | string | null;
  reactions: string | null;
  t_seq: number | string | null;
  t_id: string | null;
  t_nick: string | null;
  t_text: string | null;
  t_ts: number | string | null;
  t_reply_to: number | string | null;
  t_edited: number | string | null;
  t_deleted: number | string | null;
  t_reactions: string | null;
  t_detail: string | null;
}

/** The SELECT list and FROM of every read (`m`: the row, `t`: the message a change event changed). */
export const conversationSelect = (table: string): string =>
  `SELECT m.room, m.seq, m.id, m.nick, m.text, m.ts, m.kind, m.detail, m.reply_to, m.edited, m.deleted, m.reactions,
     COALESCE(t.seq, m.target) AS t_seq, t.id AS t_id, t.nick AS t_nick, t.text AS t_text, t.ts AS t_ts, t.reply_to AS t_reply_to,
     t.edited AS t_edited, t.deleted AS t_deleted, t.reactions AS t_reactions, t.detail AS t_detail
   FROM ${table} m LEFT JOIN ${table} t ON m.kind IS NOT NULL AND t.room = m.room AND t.seq = m.target`;

export interface ChangeDetail {
  key: string;
  emoji?: string;
  on?: boolean;
}

const num = (value: number | string | null): number | undefined => (value === null ? undefined : Number(value));

const stateOf = (
  base: { room: string; seq: number; id: string; nick: string; text: string; ts: number },
  more: { reply_to: number | string | null; edited: number | string | null; deleted: number | string | null },
  reactions: string | null,
  detail: string | null,
): ChatMessage => {
  const message: ChatMessage = base;
  const replyTo = num(more.reply_to);
  if (replyTo !== undefined) message.replyTo = replyTo;
  const edited = num(more.edited);
  if (edited !== undefined) message.edited = edited;
  if (more.deleted !== null && Number(more.deleted) === 1) message.deleted = true;
  if (reactions) message.reactions = JSON.parse(reactions) as Reaction[];
  if (detail && !message.deleted) {
    const { file } = JSON.parse(detail) as { file?: FileRef };
    if (file) message.file = file;
  }
  return message;
};

/** The message or change event a row holds, in its current state. */
export const rowToChatMessage = (row: ConversationRow): ChatMessage => {
  const base = { room: row.room, seq: Number(row.seq), id: row.id, nick: row.nick, text: row.text, ts: Number(row.ts) };
  if (row.kind === null) return stateOf(base, row, row.reactions, row.detail);
  const detail = JSON.parse(row.detail ?? "{}") as ChangeDetail;
  const target = stateOf(
    {
      ...{ room: row.room, seq: Number(row.t_seq ?? 0), id: row.t_id ?? "", nick: row.t_nick ?? "" },
      ...{ text: row.t_text ?? "", ts: Number(row.t_ts ?? 0) },
    },
    { reply_to: row.t_reply_to, edited: row.t_edited, deleted: row.t_deleted },
    row.t_reactions,
    row.t_detail,
  );
  const change: Change = { kind: row.kind as ChangeKind, target };
  if (detail.emoji !== undefined) change.emoji = detail.emoji;
  if (detail.on !== undefined) change.on = detail.on;
  return { ...base, change };
};

/** The changeKey of a change event's row (for cid repeats). */
export const keyOfRow = (row: ConversationRow): string | undefined =>
  row.kind === null ? undefined : (JSON.parse(row.detail ?? "{}") as ChangeDetail).key;

/** What a message row keeps of a state: [text, edited, deleted, reactions]. */
export const stateColumns = (state: ChatMessage): [string, number | null, number, string | null] => [
  state.text,
  state.edited ?? null,
  state.deleted ? 1 : 0,
  state.reactions && state.reactions.length > 0 ? JSON.stringify(state.reactions) : null,
];

/** What a message row keeps in `detail`: the file it carries, or nothing. */
export const messageDetail = (file: FileRef | undefined): string | null => (file ? JSON.stringify({ file }) : null);
