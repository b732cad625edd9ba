import type pg from "pg";
import type { ChangeTarget } from "../chat/conversation.ts";
import type { NewMessage } from "../chat/message.ts";
import { rowToChatMessage } from "./conversation-rows.ts";

interface TargetRow {
  room: string;
  seq: string;
  id: string;
  nick: string;
  text: string;
  ts: string;
  reply_to: string | null;
  edited: string | null;
  deleted: number | null;
  reactions: string | null;
  owner: string | null;
  kind: string | null;
  detail: string | null;
}

/** A room and a seq or cid as one map key. */
export const cidKey = (room: string, cid: string): string => `${room}\u0000${cid}`;

/** The messages the batch's changes name, locked rooms and all: their state and owner, by `room\0seq`. */
export const changeTargets = async (
  client: pg.PoolClient,
  inputs: readonly NewMessage[],
): Promise<Map<string, ChangeTarget>> => {
  const targets = new Map<string, ChangeTarget>();
  const wanted = inputs.filter((m) => m.change !== undefined);
  if (wanted.length === 0) return targets;
  const found = await client.query<TargetRow>(
    `SELECT m.room, m.seq, m.id, m.nick, m.text, m.ts, m.reply_to, m.edited, m.deleted, m.reactions, m.owner, m.kind, m.detail
       FROM parley_messages m JOIN unnest($1::text[], $2::bigint[]) AS k(room, seq) ON m.room = k.room AND m.seq = k.seq`,
    [wanted.map((m) => m.room), wanted.map((m) => m.change?.target ?? 0)],
  );
  for (const row of found.rows) {
    const message = rowToChatMessage({
      ...{ room: row.room, seq: row.seq, id: row.id, nick: row.nick, text: row.text, ts: row.ts },
      ...{ kind: null, detail: row.kind === null ? row.detail : null, reply_to: row.reply_to },
      ...{ edited: row.edited, deleted: row.deleted, reactions: row.reactions, t_seq: null, t_id: null },
      ...{ t_nick: null, t_text: null, t_ts: null, t_reply_to: null, t_edited: null, t_deleted: null },
      ...{ t_reactions: null, t_detail: null },
    });
    // a change event is no message to change: the domain refuses it as not_found
    const state = row.kind === null ? message : { ...message, change: { kind: "edit" as const, target: message } };
    targets.set(cidKey(row.room, String(row.seq)), { message: state, owner: row.owner ?? undefined });
  }
  return targets;
};
