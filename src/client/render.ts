/**
 * Message rendering that can never run what it shows: every piece of text becomes a Text node
 * (never innerHTML), and only http(s) URLs become links, opened with rel="noopener noreferrer".
 */
import type { ChatMessage } from "parley-client";

const URL_PATTERN = /\bhttps?:\/\/[^\s<>"']+/gi;
// Punctuation that usually ends the sentence rather than the URL.
const TRAILING = /[.,;:!?)\]]+$/;

/** Appends `text` to `parent`, with http(s) URLs as safe links. */
export const appendLinkified = (parent: HTMLElement, text: string): void => {
  let last = 0;
  for (const match of text.matchAll(URL_PATTERN)) {
    const start = match.index ?? 0;
    const raw = match[0];
    const trimmed = raw.replace(TRAILING, "");
    const href = safeHref(trimmed);
    if (!href) continue;
    parent.append(document.createTextNode(text.slice(last, start)));
    const link = document.createElement("a");
    link.href = href;
    link.rel = "noopener noreferrer";
    link.target = "_blank";
    link.textContent = trimmed;
    parent.append(link);
    last = start + trimmed.length;
  }
  parent.append(document.createTextNode(text.slice(last)));
};

const safeHref = (candidate: string): string | null => {
  try {
    const url = new URL(candidate);
    return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
  } catch {
    return null;
  }
};

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });

export const timeElement = (ts: number): HTMLTimeElement => {
  const time = document.createElement("time");
  const date = new Date(ts);
  time.dateTime = date.toISOString();
  time.title = date.toLocaleString();
  time.textContent = timeFormat.format(date);
  return time;
};

/** One message: nick, time, text. */
export const messageItem = (message: ChatMessage, own: boolean): HTMLLIElement => {
  const li = document.createElement("li");
  li.className = own ? "message own" : "message";
  li.dataset.seq = String(message.seq);
  const nick = document.createElement("span");
  nick.className = "nick";
  nick.textContent = message.nick;
  const text = document.createElement("span");
  text.className = "text";
  appendLinkified(text, message.text);
  li.append(nick, " ", timeElement(message.ts), " ", text);
  return li;
};

/** A message of ours the server has not acknowledged yet. */
export const pendingItem = (cid: string, nick: string, text: string): HTMLLIElement => {
  const li = document.createElement("li");
  li.className = "message pending";
  li.dataset.cid = cid;
  const who = document.createElement("span");
  who.className = "nick";
  who.textContent = nick;
  const state = document.createElement("span");
  state.className = "state";
  state.textContent = "sending…";
  const body = document.createElement("span");
  body.className = "text";
  appendLinkified(body, text);
  li.append(who, " ", state, " ", body);
  return li;
};

export const noticeItem = (text: string): HTMLLIElement => {
  const li = document.createElement("li");
  li.className = "notice";
  li.textContent = text;
  return li;
};
