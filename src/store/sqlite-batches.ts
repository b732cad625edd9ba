import type Database from "better-sqlite3";
import { applyChange, type ChangeTarget, changeEvent, changeKey } from "../chat/conversation.ts";
import type { ChatMessage, NewMessage } from "../chat/message.ts";
import { KnownCids } from "./cid-filter.ts";
import {
  type ConversationRow,
  conversationSelect,
  keyOfRow,
  messageDetail,
  rowToChatMessage,
  stateColumns,
} from "./conversation-rows.ts";
import { type AppendResult, refusal, repeatOf, stored, storedMessage } from "./history-store.ts";
import type { CountPruning } from "./retention.ts";

export interface Pending {
  input: NewMessage;
  resolve: (result: AppendResult) => void;
  reject: (error: unknown) => void;
}

/** A batch the writer thread is committing: settled, in order, when it answers. */
export interface InFlight {
  batch: Pending[];
  results: AppendResult[];
  /** Messages whose state its changes set (`room\0seq`): a later change starts from them until they are committed. */
  states: string[];
  /** `room\0cid` of its new messages: a repeat of one finds it here until it is committed. */
  cids: string[];
  /** Per room, the first seq this batch hands out. */
  firstSeqs: Map<string, number>;
  /** Already rejected: an earlier batch failed, and the writer drops this one unread. */
  aborted: boolean;
}

/** room, seq, id, nick, text, ts, cid, kind, target, detail, owner, reply_to */
type Row = [
  string,
  number,
  string,
  string,
  string,
  number,
  string | null,
  string | null,
  number | null,
  string | null,
  string | null,
  number | null,
];
/** A changed message's new state: text, edited, deleted, reactions, then room and seq. */
type Update = [string, number | null, number, string | null, string, number];

/** What the writer thread commits in one transaction (`sqlite-writer.js`). */
export interface WriterBatch {
  rows: Row[];
  updates: Update[];
  /** Each touched room's last seq, for `rooms`. */
  seqs: [string, number][];
  /** Count retention due after it: [room, delete up to seq]. */
  prune: [string, number][];
}

type MessageRow = ConversationRow & { seq: number };

interface TargetRow {
  seq: number;
  id: string;
  nick: string;
  text: string;
  ts: number;
  reply_to: number | null;
  edited: number | null;
  deleted: number | null;
  reactions: string | null;
  owner: string | null;
  kind: string | null;
  detail: string | null;
}

/** What one batch's preparation gave so far: a change may name a message earlier in it. */
interface Preparing {
  batch: Pending[];
  results: AppendResult[];
  touched: Map<string, number>;
  firstSeqs: Map<string, number>;
  cids: string[];
  states: string[];
  rows: Row[];
  updates: Update[];
}

/**
 * The SQLite store's ordering on the main thread: gives each append its seq and id, finds the
 * message a repeated cid names and checks a change against its target's latest state (committed
 * or still with the writer), and keeps, until the writer answers, what the batches in flight
 * handed out. If a commit fails, everything handed out after the last commit is taken back, so no
 * gap appears (the appends waiting behind it are then ordered afresh).
 */
export class SqliteBatches {
  readonly inFlight: InFlight[] = [];
  private readonly lastSeq = new Map<string, number>();
  private readonly unsettledCids = new Map<string, ChatMessage>();
  /** The state changes of batches not yet committed gave messages, by `room\0seq`, with their owners. */
  private readonly unsettledStates = new Map<string, ChangeTarget>();
  /** Per room, the lowest seq handed out but not yet settled (reads stop below it). */
  private readonly unsettledFrom = new Map<string, number>();
  private preparing: Preparing | undefined;
  private readonly knownCids: KnownCids;
  private readonly statements;

  private readonly pruning: CountPruning;

  constructor(db: Database.Database, pruning: CountPruning) {
    this.pruning = pruning;
    this.statements = {
      roomSeq: db.prepare<[string], { last_seq: number }>("SELECT last_seq FROM rooms WHERE room = ?"),
      // Most cids are new: this probe reads the (room, cid) index alone; the row is read on a hit only.
      hasCid: db.prepare<[string, string], { 1: number }>("SELECT 1 FROM messages WHERE room = ? AND cid = ?"),
      byCid: db.prepare<[string, string], MessageRow>(
        `${conversationSelect("messages")} WHERE m.room = ? AND m.cid = ?`,
      ),
      target: db.prepare<[string, number], TargetRow>(
        "SELECT seq, id, nick, text, ts, reply_to, edited, deleted, reactions, owner, kind, detail FROM messages WHERE room = ? AND seq = ?",
      ),
    };
    this.knownCids = new KnownCids(db);
  }

  /** The lowest seq of the room handed out and not yet settled. */
  floor(room: string): number | undefined {
    return this.unsettledFrom.get(room);
  }

  /** Orders the batch and puts it in flight; throws, having taken it all back, when one append cannot be prepared. */
  prepare(batch: Pending[]): WriterBatch {
    const p: Preparing = {
      batch,
      results: [],
      touched: new Map(),
      firstSeqs: new Map(),
      cids: [],
      states: [],
      rows: [],
      updates: [],
    };
    this.preparing = p;
    try {
      for (const { input } of batch)
        p.results.push(input.change ? this.prepareChange(input, p) : this.prepareMessage(input, p));
    } catch (error) {
      for (const key of p.states) this.unsettledStates.delete(key);
      for (const [room, first] of p.firstSeqs) {
        this.lastSeq.set(room, first - 1); // batches still in flight keep theirs
        if (this.unsettledFrom.get(room) === first) this.unsettledFrom.delete(room);
      }
      for (const key of p.cids) this.unsettledCids.delete(key);
      throw error;
    } finally {
      this.preparing = undefined;
    }
    const { results, states, cids, firstSeqs } = p;
    this.inFlight.push({ batch, results, states, cids, firstSeqs, aborted: false });
    return { rows: p.rows, updates: p.updates, seqs: [...p.touched], prune: this.pruning.due(p.touched) };
  }

  /** The oldest batch in flight is committed: what it handed out is now the file's. */
  committed(): InFlight | undefined {
    const done = this.inFlight.shift();
    if (!done || done.aborted) return done;
    for (const key of done.cids) this.unsettledCids.delete(key);
    // A later batch still in flight may have changed it again: that batch's state stays.
    for (const key of done.states)
      if (!this.inFlight.some((later) => later.states.includes(key))) this.unsettledStates.delete(key);
    for (const room of done.firstSeqs.keys()) {
      const next = this.inFlight.find((later) => later.firstSeqs.has(room))?.firstSeqs.get(room);
      if (next === undefined) this.unsettledFrom.delete(room);
      else this.unsettledFrom.set(room, next);
    }
    return done;
  }

  /**
   * The oldest batch in flight failed: it and every batch behind it are taken back (marked
   * aborted, still in flight until the writer answers for them) and seqs are reread from the file.
   * Returns the failed batch and those behind it that were not already aborted.
   */
  failed(): InFlight[] {
    const done = this.inFlight.shift();
    if (!done) return [];
    if (done.aborted) return [];
    const behind = this.inFlight.filter((later) => !later.aborted);
    for (const later of behind) later.aborted = true;
    this.lastSeq.clear();
    this.unsettledCids.clear();
    this.unsettledStates.clear();
    this.unsettledFrom.clear();
    return [done, ...behind];
  }

  /** Gives an append its seq and id, or finds the message its cid already names. */
  private prepareMessage(input: NewMessage, p: Preparing): AppendResult {
    const key = input.cid === undefined ? undefined : `${input.room}\u0000${input.cid}`;
    if (key !== undefined) {
      const earlier = this.earlier(input, key);
      if (earlier) return earlier;
    }
    const seq = this.next(input.room, p);
    const message = storedMessage(input, seq);
    p.rows.push([
      ...[input.room, seq, message.id, input.nick, input.text, input.ts, input.cid ?? null],
      ...[null, null, messageDetail(input.file), input.owner ?? null, input.replyTo ?? null],
    ] as Row);
    if (key !== undefined) {
      this.unsettledCids.set(key, message);
      this.knownCids.add(key); // kept if the commit fails: a needless probe, never a missed repeat
      p.cids.push(key);
    }
    return stored(message);
  }

  /** The append a cid already names (`key`: room and cid), settled or not. */
  private earlier(input: NewMessage, key: string): AppendResult | undefined {
    const unsettled = this.unsettledCids.get(key);
    if (unsettled) return repeatOf(unsettled, input, unsettledKeys.get(unsettled));
    if (this.knownCids.certainlyNew(key)) return undefined;
    if (!this.statements.hasCid.get(input.room, input.cid as string)) return undefined;
    const row = this.statements.byCid.get(input.room, input.cid as string);
    return row ? repeatOf(rowToChatMessage(row), input, keyOfRow(row)) : undefined;
  }

  /** A change: checked against the message's latest state (committed or not), then ordered like a message. */
  private prepareChange(input: NewMessage, p: Preparing): AppendResult {
    const request = input.change as NonNullable<NewMessage["change"]>;
    const cidKey = input.cid === undefined ? undefined : `${input.room}\u0000${input.cid}`;
    if (cidKey !== undefined) {
      const earlier = this.earlier(input, cidKey);
      if (earlier) return earlier;
    }
    const stateKey = `${input.room}\u0000${request.target}`;
    const target = this.targetOf(input.room, request.target, stateKey);
    const outcome = applyChange(target, request, { nick: input.nick, owner: input.owner }, input.ts);
    if ("refused" in outcome) return refusal(input, outcome.refused);
    const seq = this.next(input.room, p);
    const id = storedMessage(input, seq).id;
    const event = changeEvent(request, outcome, { room: input.room, seq, id, nick: input.nick, ts: input.ts });
    const key = changeKey(request);
    const detail = JSON.stringify({ key, emoji: event.change?.emoji, on: event.change?.on });
    p.rows.push([
      ...[input.room, seq, id, input.nick, "", input.ts, input.cid ?? null],
      ...[request.kind, request.target, detail, input.owner ?? null, null],
    ] as Row);
    p.updates.push([...stateColumns(outcome.state), input.room, request.target]);
    this.unsettledStates.set(stateKey, { message: outcome.state, owner: target?.owner });
    p.states.push(stateKey);
    if (cidKey !== undefined) {
      unsettledKeys.set(event, key);
      this.unsettledCids.set(cidKey, event);
      this.knownCids.add(cidKey);
      p.cids.push(cidKey);
    }
    return stored(event);
  }

  /** The room's next seq, handed out to this batch. */
  private next(room: string, p: Preparing): number {
    const seq = this.seqOf(room) + 1;
    this.lastSeq.set(room, seq);
    p.touched.set(room, seq);
    if (!p.firstSeqs.has(room)) p.firstSeqs.set(room, seq);
    if (!this.unsettledFrom.has(room)) this.unsettledFrom.set(room, seq);
    return seq;
  }

  /** The message at `seq` as the latest change left it: uncommitted changes first, then new messages not yet committed, then the file. */
  private targetOf(room: string, seq: number, stateKey: string): ChangeTarget | undefined {
    const changed = this.unsettledStates.get(stateKey);
    if (changed) return changed;
    const batches = [...this.inFlight, ...(this.preparing ? [this.preparing] : [])];
    for (const { batch, results } of batches) {
      for (const [i, result] of results.entries()) {
        const m = result.message;
        if (m.room === room && m.seq === seq && !result.duplicate && !result.refused && !m.change) {
          return { message: m, owner: batch[i]?.input.owner };
        }
      }
    }
    const row = this.statements.target.get(room, seq);
    if (!row) return undefined;
    const message = rowToChatMessage({
      ...{ room, seq: row.seq, id: row.id, nick: row.nick, text: row.text, ts: row.ts, kind: null },
      ...{ detail: row.kind === null ? row.detail : null, reply_to: row.reply_to, edited: row.edited },
      ...{ deleted: row.deleted, reactions: row.reactions, t_seq: null, t_id: null, t_nick: null, t_text: null },
      ...{ t_ts: null, t_reply_to: null, t_edited: null, t_deleted: null, t_reactions: null, t_detail: null },
    });
    // a change event is no message to change: the domain refuses it as not_found
    return {
      message: row.kind === null ? message : { ...message, change: { kind: "edit", target: message } },
      owner: row.owner ?? undefined,
    };
  }

  private seqOf(room: string): number {
    let seq = this.lastSeq.get(room);
    if (seq === undefined) {
      seq = this.statements.roomSeq.get(room)?.last_seq ?? 0;
      this.lastSeq.set(room, seq);
    }
    return seq;
  }
}

/** The changeKey of change events not yet committed (the rows hold them once they are). */
const unsettledKeys = new WeakMap<ChatMessage, string>();
