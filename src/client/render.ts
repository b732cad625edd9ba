/**
 * Message rendering that can never run what it shows: text becomes Text nodes and Markdown's tokens become
 * elements (markdown.ts), never innerHTML; only http(s)/mailto URLs become links, opened with rel="noopener noreferrer".
 */
import type { ChatMessage } from "parley-client";
import { avatar } from "./avatar.ts";
import { appendMarkdown } from "./markdown.ts";

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });
const fullFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "full", timeStyle: "medium" });
const dayFormat = new Intl.DateTimeFormat(undefined, {
  weekday: "long",
  day: "numeric",
  month: "long",
  year: "numeric",
});

/** The local calendar day of `ts`, as a key ("2026-12-6") to compare days by. */
export const dayKey = (ts: number): string => {
  const d = new Date(ts);
  return `${d.getFullYear()}-${d.getMonth() + 1}-${d.getDate()}`;
};

/** "Today", "Yesterday", or the full date. */
export const dayLabel = (ts: number, now = Date.now()): string => {
  if (dayKey(ts) === dayKey(now)) return "Today";
  if (dayKey(ts) === dayKey(now - 86_400_000)) return "Yesterday";
  return dayFormat.format(new Date(ts));
};

/** HH:MM on screen; the full date and time as a tooltip and, on hover or keyboard focus, next to it. */
export const timeElement = (ts: number): HTMLTimeElement => {
  const time = document.createElement("time");
  const date = new Date(ts);
  time.dateTime = date.toISOString();
  const full = fullFormat.format(date);
  time.title = full;
  time.textContent = timeFormat.format(date);
  const more = document.createElement("span");
  more.className = "full-time";
  more.textContent = ` · ${full}`;
  time.append(more);
  return time;
};

/** Who wrote it and when: shown on the first message of a group, kept for screen readers on the others. */
const header = (nick: string, ts: number | undefined): HTMLElement => {
  const meta = document.createElement("div");
  meta.className = "meta";
  const name = document.createElement("span");
  name.className = "nick";
  name.textContent = nick;
  meta.append(name);
  if (ts !== undefined) meta.append(" ", timeElement(ts));
  return meta;
};

/** One message: avatar, name and time, text, and an empty place for message actions (edit, react, reply). */
export const messageItem = (message: ChatMessage, own: boolean): HTMLElement => {
  const row = document.createElement("div"); // a row of the log (role=log is not a list)
  row.className = own ? "message own" : "message";
  row.tabIndex = -1; // reachable with the arrow keys in the log (shortcuts.ts), not with Tab
  row.dataset.seq = String(message.seq);
  row.dataset.nick = message.nick;
  row.dataset.ts = String(message.ts);
  row.dataset.day = dayKey(message.ts);
  const body = document.createElement("div");
  body.className = "body";
  const text = document.createElement("div");
  text.className = "text";
  appendMarkdown(text, message.text);
  const actions = document.createElement("div");
  actions.className = "message-actions";
  actions.dataset.slot = "message-actions"; // edits, reactions and replies go here when the protocol has them
  body.append(header(message.nick, message.ts), text);
  row.append(avatar(message.nick), body, actions);
  return row;
};

/** A message of ours the server has not acknowledged yet. */
export const pendingItem = (cid: string, nick: string, text: string): HTMLLIElement => {
  const li = document.createElement("li");
  li.className = "message pending";
  li.dataset.cid = cid;
  const body = document.createElement("div");
  body.className = "body";
  const meta = header(nick, undefined);
  const state = document.createElement("span");
  state.className = "state";
  state.textContent = "sending…";
  meta.append(" ", state);
  const content = document.createElement("div");
  content.className = "text";
  appendMarkdown(content, text);
  body.append(meta, content);
  li.append(avatar(nick), body);
  return li;
};

export const noticeItem = (text: string): HTMLElement => {
  const li = document.createElement("div");
  li.className = "notice";
  li.textContent = text;
  return li;
};

/** "Today", "Yesterday", "Friday 4 December 2026": between messages of different days. */
export const daySeparator = (ts: number): HTMLElement => {
  const li = document.createElement("div");
  li.className = "day";
  li.dataset.day = dayKey(ts);
  const label = document.createElement("span");
  label.textContent = dayLabel(ts);
  li.append(label);
  return li;
};

/** Where the messages you have not read yet start. */
export const newDivider = (): HTMLElement => {
  const li = document.createElement("div");
  li.className = "new-divider";
  const label = document.createElement("span");
  label.textContent = "New messages";
  li.append(label);
  return li;
};
