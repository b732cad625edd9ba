import { createHash } from "node:crypto";
import { ParleyError } from "./errors.ts";
import type { ChangeRequest, ChatMessage, Reaction } from "./message.ts";

/** Distinct emoji one message may carry. */
export const MAX_EMOJI_PER_MESSAGE = 20;
/** Reactions one person may have on one message. */
export const MAX_REACTIONS_PER_PERSON = 5;

/** A stored message as a change sees it: its state, and who owns it (never sent to clients). */
export interface ChangeTarget {
  message: ChatMessage;
  owner: string | undefined;
}

/** Who asks for a change. */
export interface Actor {
  nick: string;
  owner: string | undefined;
}

export type ChangeOutcome = { state: ChatMessage; on?: boolean } | { refused: ParleyError };

const notFound = (seq: number): ParleyError => new ParleyError("not_found", `There is no message ${seq} here.`);

/**
 * What `request` makes of the message (pure: the store calls it inside the transaction that
 * appends the change event, so the check and the write cannot be separated by another change).
 * Edit and delete are the owner's (and delete an administrator's); a deleted message changes no more.
 */
export const applyChange = (
  target: ChangeTarget | undefined,
  request: ChangeRequest,
  actor: Actor,
  ts: number,
): ChangeOutcome => {
  const current = target?.message;
  if (!target || !current || current.change || current.deleted) return { refused: notFound(request.target) };
  const owns = actor.owner !== undefined && actor.owner === target.owner;
  if (request.kind === "edit") {
    if (!owns) return { refused: new ParleyError("forbidden", "Only its author can edit a message.") };
    return { state: { ...current, text: request.text ?? "", edited: ts } };
  }
  if (request.kind === "delete") {
    if (!owns && !request.admin)
      return { refused: new ParleyError("forbidden", "Only its author can delete a message.") };
    const { reactions: _gone, edited: _edited, file: _file, ...rest } = current;
    return { state: { ...rest, text: "", deleted: true } };
  }
  return react(current, request, actor.nick);
};

const react = (current: ChatMessage, request: ChangeRequest, nick: string): ChangeOutcome => {
  const emoji = request.emoji ?? "";
  const reactions: Reaction[] = (current.reactions ?? []).map((r) => ({ emoji: r.emoji, nicks: [...r.nicks] }));
  const found = reactions.find((r) => r.emoji === emoji);
  const had = found?.nicks.includes(nick) === true;
  const on = request.on ?? !had;
  if (on === had) return { state: current, on }; // nothing to do: still an event, so a retry answers the same
  if (on) {
    const mine = reactions.filter((r) => r.nicks.includes(nick)).length;
    if (mine >= MAX_REACTIONS_PER_PERSON) {
      const why = `You have ${MAX_REACTIONS_PER_PERSON} reactions on this message already; remove one first.`;
      return { refused: new ParleyError("too_many_reactions", why) };
    }
    if (!found && reactions.length >= MAX_EMOJI_PER_MESSAGE) {
      const why = `This message has ${MAX_EMOJI_PER_MESSAGE} different reactions already; add to one of them.`;
      return { refused: new ParleyError("too_many_reactions", why) };
    }
    if (found) found.nicks.push(nick);
    else reactions.push({ emoji, nicks: [nick] });
  } else if (found) {
    found.nicks = found.nicks.filter((n) => n !== nick);
    if (found.nicks.length === 0) reactions.splice(reactions.indexOf(found), 1);
  }
  const { reactions: _old, ...rest } = current;
  return { state: reactions.length > 0 ? { ...rest, reactions } : rest, on };
};

/**
 * What makes two requests with one `cid` the same change (the edit's text by its hash, so the
 * event's row never holds text a later delete would have to find).
 */
export const changeKey = (request: ChangeRequest): string => {
  const text = request.text === undefined ? "" : createHash("sha256").update(request.text).digest("base64url");
  return `${request.kind}:${request.target}:${request.emoji ?? ""}:${request.on ?? ""}:${text}`;
};

/** The change event at `seq`: by `actor`, with the message as the change left it. */
export const changeEvent = (
  request: ChangeRequest,
  outcome: { state: ChatMessage; on?: boolean },
  base: { room: string; seq: number; id: string; nick: string; ts: number },
): ChatMessage => {
  const change: ChatMessage["change"] = { kind: request.kind, target: outcome.state };
  if (request.kind === "react" && change) {
    change.emoji = request.emoji ?? "";
    change.on = outcome.on ?? true;
  }
  return { ...base, text: "", change };
};
