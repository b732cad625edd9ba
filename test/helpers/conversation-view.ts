import type { Event } from "./json.ts";

export type Shown = Record<string, unknown>;

/**
 * What a client of the JSON protocol shows of a room: each message by seq in its latest state, built
 * from `message` events, `history` pages (and their `changes`) and change events; `last()` the highest
 * seq or `at` applied (where a resume starts).
 */
export const conversationView = () => {
  const bySeq = new Map<number, Shown>();
  let last = 0;
  const note = (seq: unknown) => {
    if (typeof seq === "number" && seq > last) last = seq;
  };
  const apply = (e: Event): void => {
    if (e.type === "message") {
      const { type: _type, ...message } = e;
      bySeq.set(e.seq as number, message);
      note(e.seq);
    } else if (e.type === "history") {
      for (const m of e.messages as Shown[]) {
        bySeq.set(m.seq as number, m);
        note(m.seq);
      }
      for (const c of (e.changes as Event[] | undefined) ?? []) apply(c);
    } else if (e.type === "edit" || e.type === "delete" || e.type === "react") {
      bySeq.set(e.seq as number, e.message as Shown);
      note(e.at);
    }
  };
  return { bySeq, apply, last: () => last };
};
