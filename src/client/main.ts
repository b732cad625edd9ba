/**
 * Parley's page: the SDK does connection, resume and outbox; this file only wires it to the DOM.
 * Rooms come from the URL hash (`/#room`); every room visited stays joined while the page is open.
 */
import { connect, newCid, type StateChange } from "parley-client";
import { RoomView } from "./room-view.ts";
import { pageToken, takeFragmentToken } from "./sign-in.ts";
import { addPending, removePending, savedNick, savedPending, saveNick } from "./storage.ts";
import { TypingLine } from "./typing-line.ts";

const DEFAULT_ROOM = "lobby";
const ROOM_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

const byId = <T extends HTMLElement>(id: string): T => {
  const element = document.getElementById(id);
  if (!element) throw new Error(`#${id} is missing from the page`);
  return element as T;
};

const scroller = byId<HTMLElement>("scroller");
const status = byId<HTMLSpanElement>("status");
const roomTitle = byId<HTMLHeadingElement>("room-title");
const roomList = byId<HTMLUListElement>("room-list");
const members = byId<HTMLUListElement>("members");
const memberCount = byId<HTMLSpanElement>("member-count");
const alertBox = byId<HTMLParagraphElement>("alert");
const chatForm = byId<HTMLFormElement>("chat-form");
const chatInput = byId<HTMLInputElement>("chat-input");
const nickForm = byId<HTMLFormElement>("nick-form");
const nickInput = byId<HTMLInputElement>("nick-input");
const roomForm = byId<HTMLFormElement>("room-form");
const roomInput = byId<HTMLInputElement>("room-input");
const olderButton = byId<HTMLButtonElement>("older");
const typingNote = byId<HTMLParagraphElement>("typing");
const whoAmI = byId<HTMLSpanElement>("signed-in");

const scheme = location.protocol === "https:" ? "wss:" : "ws:";
takeFragmentToken(); // before the room is read from the fragment
const client = connect(`${scheme}//${location.host}/chat`, {
  nick: savedNick(),
  getToken: pageToken((text) => say(text, "info")),
});
const views = new Map<string, RoomView>();
let current: RoomView | undefined;
const typingLine = new TypingLine((room) => {
  if (room === current?.room.name) renderTyping();
});

const say = (text: string, kind: "info" | "error" = "error"): void => {
  alertBox.dataset.kind = kind;
  alertBox.textContent = text;
};

const online = (): boolean => client.state === "connected";

const roomFromHash = (): string => {
  let name = DEFAULT_ROOM;
  try {
    name = decodeURIComponent(location.hash.slice(1)) || DEFAULT_ROOM;
  } catch {
    // a malformed escape: fall back to the default room
  }
  if (ROOM_NAME.test(name)) return name;
  say(`"${name}" is not a room name (letters, digits, . _ -); showing #${DEFAULT_ROOM}.`);
  return DEFAULT_ROOM;
};

const renderMembers = (): void => {
  const list = current?.room.members ?? [];
  members.replaceChildren(
    ...list.map((nick) => {
      const li = document.createElement("li");
      li.textContent = nick === client.nick ? `${nick} (you)` : nick;
      return li;
    }),
  );
  memberCount.textContent = `(${list.length})`;
};

/** Rooms open on this page, then rooms with unread messages the server told of (signed in), with their counts. */
const renderRoomList = (): void => {
  const names = new Set([...views.keys(), ...Object.keys(client.unreadCounts())]);
  roomList.replaceChildren(
    ...[...names].map((name) => {
      const view = views.get(name);
      const unread = client.unread(name) ?? view?.unread ?? 0;
      const li = document.createElement("li");
      const link = document.createElement("a");
      link.href = `#${encodeURIComponent(name)}`;
      link.textContent = `#${name}`;
      if (view && view === current) link.setAttribute("aria-current", "page");
      li.append(link);
      if (unread > 0 && view !== current) {
        const badge = document.createElement("span");
        badge.className = "unread";
        badge.textContent = ` ${unread} new`;
        li.append(badge);
      }
      return li;
    }),
  );
};

const renderTyping = (): void => {
  typingNote.textContent = current ? typingLine.text(current.room.name) : "";
};

/** The room on screen is read, while the page is looked at (signed in: on every device of the user). */
const markRead = (view: RoomView | undefined): void => {
  if (view && view === current && document.visibilityState === "visible") client.read(view.room.name);
};

/** "Load older messages" is offered while the room on screen has messages before the first one shown. */
const renderOlder = (): void => {
  const oldest = current?.oldestSeq;
  olderButton.hidden = oldest === undefined || oldest <= 1;
};

const openRoom = (name: string): RoomView => {
  const existing = views.get(name);
  if (existing) return existing;
  const room = client.join(name);
  const view = new RoomView(room, scroller, () => client.nick);
  views.set(name, view);
  room.on("history", (page) => {
    view.addHistory(page.messages, page.kind);
    if (view === current) renderOlder();
  });
  room.on("message", (message) => {
    view.addMessage(message);
    typingLine.stopped(name, message.nick);
    if (view !== current) renderRoomList();
    markRead(view);
  });
  room.on("joined", () => markRead(view));
  room.on("presence", (change) => {
    if (change.action === "join") view.addNotice(`${change.nick} joined`);
    else if (change.action === "leave") view.addNotice(`${change.nick} left`);
    if (change.action === "leave" && change.nick) typingLine.stopped(name, change.nick);
    else if (change.action === "nick") view.addNotice(`${change.from} is now known as ${change.nick}`);
    if (view === current) renderMembers();
  });
  room.on("resume-incomplete", () =>
    view.addNotice("Some messages from while you were away are too old to recover; here are the latest."),
  );
  room.on("delete", ({ seq }) => view.markDeleted(seq));
  room.on("error", (error) => say(`#${name}: ${error.message}`));
  room.on("left", () => say(`You are no longer in #${name}.`));
  return view;
};

const show = (name: string): void => {
  const view = openRoom(name);
  if (view !== current) {
    current?.hide();
    current = view;
    view.show();
  }
  roomTitle.textContent = `#${name}`;
  document.title = `#${name} · Parley`;
  renderRoomList();
  renderMembers();
  renderOlder();
  renderTyping();
  markRead(view);
};

const sendTo = (view: RoomView, text: string, cid: string): void => {
  view.addPending(cid, text, online());
  view.room.send(text, { cid }).then(
    (ack) => {
      removePending(cid);
      view.acked(cid, ack.seq);
    },
    (error: unknown) => {
      removePending(cid);
      view.failed(cid, error instanceof Error ? error.message : String(error));
    },
  );
};

const describe = (change: StateChange): string => {
  const why = change.code !== undefined ? ` (${change.code}${change.reason ? `: ${change.reason}` : ""})` : "";
  switch (change.state) {
    case "connecting":
      return change.attempt > 0 ? `Connecting, attempt ${change.attempt + 1}…` : "Connecting…";
    case "connected":
      return "Connected";
    case "reconnecting":
      return `Offline${why}; retrying in ${Math.max(1, Math.round((change.delay ?? 0) / 1000))} s`;
    case "disconnected":
      return `Disconnected${why}. Reload the page to try again.`;
  }
};

client.on("state", (change) => {
  status.dataset.state = change.state;
  status.textContent = describe(change);
  for (const view of views.values()) view.setOnline(change.state === "connected");
});

client.on("nick", ({ nick, interim }) => {
  // A signed-in name is the token's, not one to claim when anonymous; an interim one stands in for ours.
  if (!client.user && !interim) saveNick(nick);
  if (document.activeElement !== nickInput) nickInput.value = nick;
  renderMembers();
});

client.on("error", (error) => say(error.message));

// Signed in: the name is the token's (no nickname form); signed out: say why, the SDK keeps trying.
client.on("connected", () => {
  const user = client.user;
  whoAmI.hidden = !user;
  whoAmI.textContent = user ? `Signed in as ${user.name}` : "";
  nickForm.hidden = Boolean(user);
});
client.on("auth", (change) => {
  if (change.state === "signed-out") say(`Signed out: ${change.reason ?? "the token was refused"}.`);
});
client.on("typing", ({ room, nick }) => {
  if (nick !== client.nick) typingLine.typing(room, nick);
});
client.on("unread", () => renderRoomList());
document.addEventListener("visibilitychange", () => markRead(current));
// Closing the tab right after reading: the position held back by the once-a-second window still goes out.
window.addEventListener("pagehide", () => client.sendPendingReads());
chatInput.addEventListener("input", () => {
  if (current && chatInput.value.trim() !== "") client.typing(current.room.name);
});

chatForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const text = chatInput.value;
  if (!current || text.trim() === "") return;
  chatInput.value = "";
  const cid = newCid();
  // Kept before sending, so a reload while offline still sends it (same cid: stored once).
  addPending({ room: current.room.name, cid, text });
  sendTo(current, text, cid);
});

nickForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const nick = nickInput.value.trim();
  if (!nick || nick === client.nick) return;
  client.setNick(nick).then(
    () => say(`You are now ${nick}.`, "info"),
    (error: unknown) => {
      say(`Nickname not changed: ${error instanceof Error ? error.message : String(error)}`);
      nickInput.value = client.nick ?? "";
    },
  );
});

roomForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const name = roomInput.value.trim().replace(/^#/, "");
  if (!ROOM_NAME.test(name)) {
    say(`"${name}" is not a room name (letters, digits, . _ -, up to 64).`);
    return;
  }
  roomInput.value = "";
  location.hash = encodeURIComponent(name);
  chatInput.focus();
});

olderButton.addEventListener("click", () => {
  current?.room.history({ limit: 50 }).catch((error: Error) => say(`Older messages not loaded: ${error.message}`));
});

window.addEventListener("hashchange", () => show(roomFromHash()));

show(roomFromHash());
for (const pending of savedPending()) {
  if (ROOM_NAME.test(pending.room)) sendTo(openRoom(pending.room), pending.text, pending.cid);
}
renderRoomList();
