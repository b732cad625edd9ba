import { ParleyError } from "../chat/errors.ts";
import type { ChatMessage } from "../chat/message.ts";
import { MAX_QUERY_LENGTH, type Mark } from "../chat/search-query.ts";

/** The WebSocket subprotocol that selects JSON protocol v1. */
export const SUBPROTOCOL_JSON = "parley.v1";

/**
 * Query parameter of the WebSocket URL: `?autojoin=0` asks a JSON client's connection not to join the
 * room of its path; the client then joins rooms itself with `join` (the SDK does, with `since` on resume).
 */
export const AUTOJOIN_PARAM = "autojoin";

/** False when the URL (path and query) says `autojoin=0`. Text mode ignores it: the Cookbook always joins. */
export const wantsAutoJoin = (url: string): boolean => {
  const query = url.split("?")[1];
  return query === undefined || new URLSearchParams(query).get(AUTOJOIN_PARAM) !== "0";
};

// --- client → server ---

export type ClientFrame =
  | {
      type: "send";
      room?: string | undefined;
      text: string;
      cid?: string | undefined;
      replyTo?: number | undefined;
      /** The id of the sender's upload the message carries (docs/files.md). */
      file?: string | undefined;
    }
  /** Files: a short-lived ticket to upload into `room` over HTTP (docs/files.md). */
  | { type: "upload_ticket"; room: string; cid: string }
  /** Conversations: `seq` names the message changed (see docs/protocol.md). */
  | { type: "edit"; room: string; seq: number; text: string; cid?: string | undefined }
  | { type: "delete"; room: string; seq: number; cid?: string | undefined }
  | { type: "react"; room: string; seq: number; emoji: string; on?: boolean | undefined; cid?: string | undefined }
  /** `reconnectKey`: the key of this client's previous connection's `welcome`, to take its name back at once. */
  | { type: "nick"; nick: string; reconnectKey?: string | undefined }
  | { type: "join"; room: string; since?: number | undefined; limit?: number | undefined }
  | { type: "leave"; room: string }
  | { type: "who"; room?: string | undefined }
  | { type: "history"; room: string; before: number; limit?: number | undefined }
  | { type: "auth"; token: string }
  | { type: "typing"; room?: string | undefined }
  | { type: "read"; room: string; seq: number }
  | SearchFrame;

/** `search`: answered by `search_results` with the same `cid` (or an `error` with it). */
export interface SearchFrame {
  type: "search";
  cid: string;
  query: string;
  room?: string | undefined;
  nick?: string | undefined;
  /** Milliseconds since the epoch: since <= ts < until. */
  since?: number | undefined;
  until?: number | undefined;
  order?: "rank" | "newest" | undefined;
  limit?: number | undefined;
  /** `next` of the previous `search_results`. */
  cursor?: string | undefined;
}

/** A message found, with its matching words as [start, end) UTF-16 offsets into `text`. */
export type SearchHitEvent = ChatMessage & { marks: Mark[] };

// --- server → client ---

export interface ResumeResult {
  since: number;
  /** false: some of the gap is older than the room's retention; the latest page was sent instead. */
  complete: boolean;
  /** How many messages after `since` were delivered by this resume. */
  missed: number;
}

export type ServerEvent =
  | {
      type: "welcome";
      protocol: string;
      nick: string;
      rooms: string[];
      /** Signed in: who, and until when (`exp`, seconds since the epoch, as in the token). */
      user?: { id: string; name: string; exp: number };
      /** Signed in: unread messages per room the user has a read position in. */
      unread?: Record<string, number>;
      /** Signed in: mentions not yet read, per room that has any. */
      mentions?: Record<string, number>;
      /** Anonymous: a secret proving, after a reconnect, that a `nick` comes from this same client. */
      reconnectKey?: string;
    }
  | ({ type: "message" } & ChatMessage)
  /** A signed-in user was named (`@nick`, `@room`, `@here`) in a message of `room`: on all their connections. */
  | { type: "mention"; room: string; seq: number; nick: string; text: string; ts: number; mentions?: number }
  | { type: "ack"; cid: string | null; room: string; seq: number; id: string; ts: number; duplicate: boolean }
  /** `changes`: the change events of the page's range (edit, delete, react), when it has any. */
  | { type: "history"; room: string; messages: ChatMessage[]; changes?: ChangeEvent[] }
  | { type: "joined"; room: string; lastSeq: number; resume: ResumeResult | null; unread?: number }
  | { type: "left"; room: string }
  | { type: "nick"; nick: string }
  | { type: "presence"; room: string; action: "snapshot"; members: string[] }
  | { type: "presence"; room: string; action: "join" | "leave"; nick: string }
  | { type: "presence"; room: string; action: "nick"; from: string; nick: string }
  | ChangeEvent
  | { type: "auth"; exp: number }
  | { type: "typing"; room: string; nick: string }
  | { type: "read"; room: string; seq: number; unread: number }
  | { type: "search_results"; cid: string; hits: SearchHitEvent[]; next: string | null; truncated: boolean }
  | {
      type: "upload_ticket";
      room: string;
      cid: string;
      ticket: string;
      url: string;
      max_bytes: number;
      expires: number;
    }
  | { type: "error"; code: string; message: string; cid?: string; room?: string };

/**
 * A change to the message at `seq`, with its own place `at` in the room, by `nick`; `message` the
 * message as it is now. (A `delete` from a server before conversations had `room` and `seq` only.)
 */
export interface ChangeEvent {
  type: "edit" | "delete" | "react";
  room: string;
  seq: number;
  at?: number;
  id?: string;
  nick?: string;
  ts?: number;
  emoji?: string;
  on?: boolean;
  message?: ChatMessage;
}

export const encodeEvent = (event: ServerEvent): string => JSON.stringify(event);

/**
 * `encodeEvent({type: "history", room, messages})` in pieces, one per message (see textFrameOfPieces).
 * Messages are in their current state; change events of the range go in `changes` (as their live
 * events), so a resumed client applies them to what it had, and an older client that does not know
 * the field sees messages only.
 */
export const historyPieces = (room: string, items: readonly ChatMessage[]): string[] => {
  const pieces = [`{"type":"history","room":${JSON.stringify(room)},"messages":[`];
  const changes: string[] = [];
  let first = true;
  for (const item of items) {
    if (item.change) changes.push(encodeMessage(item));
    else {
      pieces.push((first ? "" : ",") + messageJson(item));
      first = false;
    }
  }
  pieces.push(changes.length > 0 ? `],"changes":[${changes.join(",")}]}` : "]}");
  return pieces;
};

/** A message as pages and events carry it: fixed key order; the conversation fields only when set. */
const messageJson = (m: ChatMessage): string => {
  const base = JSON.stringify({ room: m.room, seq: m.seq, id: m.id, nick: m.nick, text: m.text, ts: m.ts });
  return isPlain(m) ? base : `${base.slice(0, -1)}${conversationFields(m)}}`;
};

/** Nothing past v1's first fields: the bytes stay those of v1 before conversations and files. */
const isPlain = (m: ChatMessage): boolean =>
  m.replyTo === undefined && m.edited === undefined && !m.deleted && !m.reactions && !m.file;

const conversationFields = (m: ChatMessage): string => {
  let more = "";
  if (m.replyTo !== undefined) more += `,"replyTo":${m.replyTo}`;
  if (m.edited !== undefined) more += `,"edited":${m.edited}`;
  if (m.deleted) more += `,"deleted":true`;
  if (m.reactions && m.reactions.length > 0) more += `,"reactions":${JSON.stringify(m.reactions)}`;
  if (m.file) more += `,"file":${JSON.stringify(m.file)}`;
  return more;
};

/**
 * The message event, built with a fixed key order so every recipient gets identical bytes; a plain
 * message's bytes are those of v1 before conversations. A change event is
 * `{"type":"edit"|"delete"|"react","room","seq":<the message changed>,"at":<its own seq>,"id","nick","ts",…,"message":{…}}`:
 * `seq` names a message as in every v1 event (a v1 `delete` stays what it was), `message` is its state now.
 */
export const encodeMessage = (m: ChatMessage): string => {
  const change = m.change;
  if (!change) {
    const base = JSON.stringify({
      type: "message",
      room: m.room,
      seq: m.seq,
      id: m.id,
      nick: m.nick,
      text: m.text,
      ts: m.ts,
    });
    return isPlain(m) ? base : `${base.slice(0, -1)}${conversationFields(m)}}`;
  }
  const head = { type: change.kind, room: m.room, seq: change.target.seq, at: m.seq, id: m.id, nick: m.nick, ts: m.ts };
  const react = change.kind === "react" ? `,"emoji":${JSON.stringify(change.emoji)},"on":${change.on === true}` : "";
  return `${JSON.stringify(head).slice(0, -1)}${react},"message":${messageJson(change.target)}}`;
};

// --- validation of every client frame ---

const MAX_CID_LENGTH = 128;
/** A `welcome` reconnect key is 43 characters (32 random bytes, base64url); longer is not one. */
const MAX_RECONNECT_KEY_LENGTH = 128;
const MAX_TOKEN_LENGTH = 8192;

type Json = Record<string, unknown>;

const fail = (message: string): never => {
  throw new ParleyError("bad_request", message);
};

// A lone surrogate (legal in a JSON escape, "\ud800") has no UTF-8 form: the store would keep
// something else than what was broadcast live. It becomes U+FFFD here, once, for everyone.
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const LONE_SURROGATES = new RegExp(LONE_SURROGATE.source, "g");
export const wellFormed = (value: string): string =>
  LONE_SURROGATE.test(value) ? value.replace(LONE_SURROGATES, "\ufffd") : value;

const optionalString = (frame: Json, key: string, max = 1_000_000): string | undefined => {
  const value = frame[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") return fail(`"${key}" must be a string.`);
  if (value.length > max) return fail(`"${key}" is longer than ${max} characters.`);
  return wellFormed(value);
};

/** A `cid` names one message: "" would make every send with it one message, so it is refused, not taken as absent. */
const optionalCid = (frame: Json): string | undefined => {
  const cid = optionalString(frame, "cid", MAX_CID_LENGTH);
  return cid === "" ? fail('"cid" must not be empty; leave it out to send without one.') : cid;
};

const MAX_CURSOR_LENGTH = 256;

const optionalOrder = (frame: Json): "rank" | "newest" | undefined => {
  const order = optionalString(frame, "order", 16);
  if (order === undefined || order === "rank" || order === "newest") return order;
  return fail('"order" is "rank" or "newest".');
};

const decodeSearch = (frame: Json): SearchFrame => ({
  type: "search",
  cid: optionalCid(frame) ?? fail('"cid" is required: the results carry it back.'),
  query: requiredString(frame, "query", MAX_QUERY_LENGTH),
  room: optionalString(frame, "room", 256),
  nick: optionalString(frame, "nick", 256),
  since: optionalSeq(frame, "since"),
  until: optionalSeq(frame, "until"),
  order: optionalOrder(frame),
  limit: optionalSeq(frame, "limit"),
  cursor: optionalString(frame, "cursor", MAX_CURSOR_LENGTH),
});

const requiredString = (frame: Json, key: string, max?: number): string =>
  optionalString(frame, key, max) ?? fail(`"${key}" is required.`);

const requiredSeq = (frame: Json, key: string): number => optionalSeq(frame, key) ?? fail(`"${key}" is required.`);

/** Checked to be one emoji by the service (chat/emoji.ts): Unicode's data stays out of the SDK's bundle. */
const requiredEmoji = (frame: Json): string => requiredString(frame, "emoji", 64);

const optionalBoolean = (frame: Json, key: string): boolean | undefined => {
  const value = frame[key];
  if (value === undefined || value === null) return undefined;
  return typeof value === "boolean" ? value : fail(`"${key}" must be true or false.`);
};

const optionalSeq = (frame: Json, key: string): number | undefined => {
  const value = frame[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
    return fail(`"${key}" must be a whole number ≥ 0.`);
  }
  return value;
};

/**
 * Parses and validates one text frame of JSON v1; throws `ParleyError` with a stable code.
 * Only the top-level fields are read, and only strings and numbers are echoed: nothing here walks
 * a client's nested values, so `[[[…]]]` thousands deep is a `bad_request`, never a stack overflow.
 */
export const decodeClientFrame = (raw: string): ClientFrame => {
  try {
    return decodeFrame(raw);
  } catch (error) {
    // The last line of defence for anything that still recursed (V8's stack is the limit).
    if (error instanceof RangeError) return fail("The frame is nested too deeply.");
    throw error;
  }
};

/** An unknown `type`, named back shortened: the error stays small whatever was sent. */
const describeType = (type: string): string => JSON.stringify(type.length > 64 ? `${type.slice(0, 64)}…` : type);

const decodeFrame = (raw: string): ClientFrame => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ParleyError("bad_json", "The frame is not valid JSON.");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    return fail('A frame is a JSON object with a "type".');
  }
  const frame = parsed as Json;
  if (frame.type === undefined || frame.type === null) return fail('A frame needs a "type".');
  if (typeof frame.type !== "string") return fail('"type" must be a string.');
  switch (frame.type) {
    case "send":
      return {
        type: "send",
        room: optionalString(frame, "room"),
        text: requiredString(frame, "text"),
        cid: optionalCid(frame),
        replyTo: optionalSeq(frame, "replyTo"),
        file: optionalString(frame, "file", MAX_CID_LENGTH),
      };
    case "edit":
      return {
        type: "edit",
        room: requiredString(frame, "room"),
        seq: requiredSeq(frame, "seq"),
        text: requiredString(frame, "text"),
        cid: optionalCid(frame),
      };
    case "delete":
      return {
        type: "delete",
        room: requiredString(frame, "room"),
        seq: requiredSeq(frame, "seq"),
        cid: optionalCid(frame),
      };
    case "react":
      return {
        type: "react",
        room: requiredString(frame, "room"),
        seq: requiredSeq(frame, "seq"),
        emoji: requiredEmoji(frame),
        on: optionalBoolean(frame, "on"),
        cid: optionalCid(frame),
      };
    case "nick":
      return {
        type: "nick",
        nick: requiredString(frame, "nick"),
        reconnectKey: optionalString(frame, "reconnectKey", MAX_RECONNECT_KEY_LENGTH),
      };
    case "join":
      return {
        type: "join",
        room: requiredString(frame, "room"),
        since: optionalSeq(frame, "since"),
        limit: optionalSeq(frame, "limit"),
      };
    case "leave":
      return { type: "leave", room: requiredString(frame, "room") };
    case "who":
      return { type: "who", room: optionalString(frame, "room") };
    case "history":
      return {
        type: "history",
        room: requiredString(frame, "room"),
        before: optionalSeq(frame, "before") ?? fail('"before" is required.'),
        limit: optionalSeq(frame, "limit"),
      };
    case "auth":
      return { type: "auth", token: requiredString(frame, "token", MAX_TOKEN_LENGTH) };
    case "typing":
      return { type: "typing", room: optionalString(frame, "room") };
    case "read":
      return {
        type: "read",
        room: requiredString(frame, "room"),
        seq: optionalSeq(frame, "seq") ?? fail('"seq" is required.'),
      };
    case "search":
      return decodeSearch(frame);
    case "upload_ticket":
      return {
        type: "upload_ticket",
        room: requiredString(frame, "room"),
        cid: optionalCid(frame) ?? fail('"cid" is required: the ticket comes back with it.'),
      };
    default:
      throw new ParleyError("unknown_type", `Unknown frame type ${describeType(frame.type)}.`);
  }
};
