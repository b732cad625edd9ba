/**
 * Parley's page: the SDK does connection, resume and outbox; this file only wires it to the DOM.
 * Rooms come from the URL hash (`/#room`); the rooms joined stay joined, and come back after a reload (localStorage).
 */
import { connect, newCid } from "parley-client";
import { Alerts } from "./alerts.ts";
import { knowPicture } from "./avatar.ts";
import { Composer } from "./composer.ts";
import { ConnectionStatus, removalExplained } from "./connection-status.ts";
import { decorate } from "./conversation.ts";
import { conversationContext, installEditLast, type PageParts } from "./conversation-wiring.ts";
import { useFileToken } from "./file-card.ts";
import { MentionAlerts } from "./mention-alerts.ts";
import { MentionComplete } from "./mention-complete.ts";
import { mentionsOf } from "./mentions.ts";
import { installThemeToggle, Panels } from "./panels.ts";
import { ReplyBar } from "./reply-bar.ts";
import { atBottom, RoomView } from "./room-view.ts";
import { SearchPanel } from "./search-panel.ts";
import { sendTo } from "./sending.ts";
import { installShortcuts } from "./shortcuts.ts";
import { latestToken, pageToken, takeFragmentToken } from "./sign-in.ts";
import { savedNick, savedPending, savedReadSeq, savedRooms, saveNick, saveReadSeq, saveRooms } from "./storage.ts";
import { TypingLine } from "./typing-line.ts";
import { installUploads } from "./upload-wiring.ts";

const DEFAULT_ROOM = "lobby";
const ROOM_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

const byId = <T extends HTMLElement>(id: string): T => {
  const element = document.getElementById(id);
  if (!element) throw new Error(`#${id} is missing from the page`);
  return element as T;
};

const scroller = byId<HTMLElement>("scroller");
scroller.tabIndex = 0; // scrolled with the keyboard too (and ↑/↓ move between messages: shortcuts.ts)
const roomTitle = byId<HTMLHeadingElement>("room-title");
const roomList = byId<HTMLUListElement>("room-list");
const roomsBadge = byId<HTMLSpanElement>("rooms-badge");
const members = byId<HTMLUListElement>("members");
const memberCount = byId<HTMLSpanElement>("member-count");
const chatForm = byId<HTMLFormElement>("chat-form");
const nickForm = byId<HTMLFormElement>("nick-form");
const nickInput = byId<HTMLInputElement>("nick-input");
const roomForm = byId<HTMLFormElement>("room-form");
const roomInput = byId<HTMLInputElement>("room-input");
const olderButton = byId<HTMLButtonElement>("older");
const jumpButton = byId<HTMLButtonElement>("jump");
const leaveButton = byId<HTMLButtonElement>("leave");
const typingNote = byId<HTMLParagraphElement>("typing");
const whoAmI = byId<HTMLParagraphElement>("signed-in");

const alerts = new Alerts(byId("alert"), byId("alert-text"), byId("alert-dismiss"));
const panels = new Panels([
  [byId("rooms-toggle"), byId("rooms-panel")],
  [byId("people-toggle"), byId("people-panel")],
]);
installThemeToggle(byId("theme-toggle"));

const scheme = location.protocol === "https:" ? "wss:" : "ws:";
takeFragmentToken(); // before the room is read from the fragment
const client = connect(`${scheme}//${location.host}/chat`, {
  nick: savedNick(),
  getToken: pageToken((text) => alerts.say(text, "auth")),
});
const views = new Map<string, RoomView>();
let current: RoomView | undefined;
const typingLine = new TypingLine((room) => {
  if (room === current?.room.name) renderTyping();
});
const composer = new Composer(byId("chat-input"), chatForm, (room) => client.typing(room));
const replyBar = new ReplyBar(chatForm, composer.input);
new MentionComplete(composer.input, () => (current?.room.members ?? []).filter((nick) => nick !== client.nick));
const mentionAlerts = new MentionAlerts(document.querySelector<HTMLElement>(".you") ?? members, () => renderRoomList());
const pageParts = (name: string): PageParts => ({
  myNick: () => client.nick,
  say: (text, scope) => alerts.say(text, scope),
  replyBar,
  view: () => views.get(name),
});
installEditLast(composer.input, () => current, pageParts(""));
const connection = new ConnectionStatus(byId("status"), (online) => {
  for (const view of views.values()) view.setOnline(online);
  if (online) alerts.clear("connection");
});

const roomFromHash = (): string => {
  let name = DEFAULT_ROOM;
  try {
    name = decodeURIComponent(location.hash.slice(1)) || DEFAULT_ROOM;
  } catch {
    // a malformed escape: fall back to the default room
  }
  if (ROOM_NAME.test(name)) return name;
  alerts.say(`"${name}" is not a room name (letters, digits, . _ -); showing #${DEFAULT_ROOM}.`, "page");
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

const unreadOf = (name: string): number => {
  const view = views.get(name);
  if (view === current) return 0;
  return client.unread(name) ?? view?.unread ?? 0;
};

/**
 * The room list: the rooms joined here, which for a signed-in user include those joined on their other devices
 * (the server keeps them until left). A room left is gone, even though its read position stays on the server.
 */
const roomNames = (): string[] => [...views.keys()];

/** Rooms with their unread counts, and the total in the tab title and on the phone's rooms button. */
const renderRoomList = (): void => {
  let total = 0;
  roomList.replaceChildren(
    ...roomNames().map((name) => {
      const unread = unreadOf(name);
      total += unread;
      const li = document.createElement("li");
      const link = document.createElement("a");
      link.href = `#${encodeURIComponent(name)}`;
      link.textContent = `#${name}`;
      if (views.get(name) === current) link.setAttribute("aria-current", "page");
      li.append(link);
      const mentioned = mentionAlerts.count(name);
      if (mentioned > 0) {
        const badge = document.createElement("span");
        badge.className = "mention-count";
        badge.textContent = ` @${mentioned}`;
        badge.title = `${mentioned} mention${mentioned === 1 ? "" : "s"} of you`;
        li.append(badge);
      }
      if (unread > 0) {
        const badge = document.createElement("span");
        badge.className = "unread";
        badge.textContent = ` ${unread} new`;
        li.append(badge);
        li.classList.add("has-unread");
      }
      return li;
    }),
  );
  roomsBadge.hidden = total === 0;
  roomsBadge.textContent = total > 0 ? ` ${total} unread` : "";
  const name = current ? `#${current.room.name} · Parley` : "Parley";
  const mentions = mentionAlerts.total;
  const counts = mentions > 0 ? `(${total} · @${mentions}) ` : total > 0 ? `(${total}) ` : "";
  document.title = `${counts}${name}`;
};

const renderTyping = (): void => {
  typingNote.textContent = current ? typingLine.text(current.room.name) : "";
};

/** "Jump to latest", with how many arrived while you were scrolled up. */
const renderJump = (): void => {
  const up = current !== undefined && !atBottom(scroller);
  if (!up && current) current.missed = 0;
  const missed = current?.missed ?? 0;
  const label = missed > 0 ? `↓ ${missed} new message${missed === 1 ? "" : "s"}` : "↓ Jump to latest";
  // Called on every scroll event: touch the DOM only on a change, or each one costs a layout.
  if (jumpButton.hidden !== !up) jumpButton.hidden = !up;
  if (jumpButton.textContent !== label) jumpButton.textContent = label;
};

const jumpToLatest = (): void => {
  current?.scrollToLatest();
  renderJump();
};

/** The room on screen is read, while the page is looked at (signed in: on every device of the user). */
const markRead = (view: RoomView | undefined): void => {
  if (!view || view !== current || document.visibilityState !== "visible") return;
  client.read(view.room.name);
  mentionAlerts.read(view.room.name);
  const seq = view.latestSeq;
  if (seq !== undefined) saveReadSeq(view.room.name, seq);
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
  const context = conversationContext(room, pageParts(name));
  const view = new RoomView(
    room,
    scroller,
    () => client.nick,
    (row, message) => decorate(row, message, context),
  );
  views.set(name, view);
  saveRooms(views.keys());
  let first = true;
  room.on("history", (page) => {
    view.addHistory(page.messages, page.kind);
    if (first && page.kind === "initial") {
      // Where you left off: the server's count for a signed-in user, else this browser's last seen message.
      first = false;
      const unread = client.unread(name);
      const seen = savedReadSeq(name);
      if (unread !== undefined) view.markNew(unread);
      else if (seen !== undefined) view.markNewAfter(seen);
    }
    if (view === current) renderOlder();
  });
  room.on("message", (message) => {
    view.addMessage(message);
    const me = client.nick;
    const away = view !== current || document.visibilityState === "hidden";
    if (away && me && message.nick !== me && mentionsOf(message.text, me)) {
      mentionAlerts.mentioned(name, message.nick, message.text);
    }
    typingLine.stopped(name, message.nick);
    if (view !== current) renderRoomList();
    else renderJump();
    markRead(view);
  });
  room.on("joined", () => markRead(view));
  room.on("presence", (change) => {
    for (const [nick, picture] of Object.entries(change.pictures ?? {})) knowPicture(nick, picture);
    if (change.action === "join") view.addNotice(`${change.nick} joined`);
    else if (change.action === "leave") view.addNotice(`${change.nick} left`);
    if (change.action === "leave" && change.nick) typingLine.stopped(name, change.nick);
    else if (change.action === "nick") view.addNotice(`${change.from} is now known as ${change.nick}`);
    if (view === current) renderMembers();
  });
  room.on("resume-incomplete", () =>
    view.addNotice("Some messages from while you were away are too old to recover; here are the latest."),
  );
  room.on("update", ({ message }) => view.update(message));
  room.on("error", (error) => alerts.say(`#${name}: ${error.message}`, `room:${name}`));
  room.on("left", () => forget(name));
  return view;
};

/** Off the page and out of the stored list (left by you, or refused by the server). */
const forget = (name: string): void => {
  const view = views.get(name);
  if (!view) return;
  views.delete(name);
  view.list.remove();
  view.pendingList.remove();
  view.announcer.remove();
  saveRooms(views.keys());
  if (view === current) {
    current = undefined;
    const next = views.keys().next().value ?? DEFAULT_ROOM;
    if (roomFromHash() === next) show(next);
    else location.hash = encodeURIComponent(next);
  } else renderRoomList();
};

const show = (name: string): void => {
  const view = openRoom(name);
  if (view !== current) {
    current?.hide();
    current = view;
    view.show();
    composer.switchTo(name);
    replyBar.roomShown(name);
  }
  alerts.roomShown(name);
  panels.closeAll();
  roomTitle.textContent = `#${name}`;
  composer.input.placeholder = `Message #${name}`;
  leaveButton.setAttribute("aria-label", `Leave #${name}`);
  renderRoomList();
  renderMembers();
  renderOlder();
  renderTyping();
  renderJump();
  markRead(view);
};

client.on("state", (change) => {
  connection.update(change);
  const removed = removalExplained(change);
  if (removed) alerts.say(removed, "connection");
});

client.on("nick", ({ nick, interim }) => {
  // A signed-in name is the token's, not one to claim when anonymous; an interim one stands in for ours.
  if (!client.user && !interim) saveNick(nick);
  if (document.activeElement !== nickInput) nickInput.value = nick;
  renderMembers();
});

client.on("error", (error) => alerts.say(error.message, "page"));

// Signed in: the name is the token's (no nickname form); signed out: say why, the SDK keeps trying.
client.on("connected", () => {
  const user = client.user;
  whoAmI.hidden = !user;
  whoAmI.textContent = user ? `Signed in as ${user.name}` : "";
  nickForm.hidden = Boolean(user);
  if (user) alerts.clear("auth");
  if (user?.picture) knowPicture(user.name, user.picture);
  // Signed in: the rooms joined on the user's other devices are joined here too (left ones are gone from the list).
  const others = client.userRooms().filter((name) => ROOM_NAME.test(name) && !views.has(name));
  for (const name of others) openRoom(name);
  if (others.length > 0) renderRoomList();
});
client.on("auth", (change) => {
  if (change.state === "signed-out") alerts.say(`Signed out: ${change.reason ?? "the token was refused"}.`, "auth");
});
client.on("typing", ({ room, nick }) => {
  if (nick !== client.nick) typingLine.typing(room, nick);
});
client.on("unread", () => renderRoomList());
// Signed in: mentions in rooms not open here come from the server (open rooms are counted as their messages come).
client.on("mention", (m) => {
  if (!views.has(m.room)) mentionAlerts.mentioned(m.room, m.nick, m.text, m.mentions);
});
document.addEventListener("visibilitychange", () => markRead(current));
// The network changed: the socket may be dead without knowing it; ask now rather than at the next quiet-time ping.
window.addEventListener("offline", () => client.checkConnection());
window.addEventListener("online", () => client.checkConnection());
// Closing the tab right after reading: the position held back by the once-a-second window still goes out.
window.addEventListener("pagehide", () => client.sendPendingReads());
scroller.addEventListener("scroll", renderJump, { passive: true });
jumpButton.addEventListener("click", () => {
  jumpToLatest();
  composer.input.focus();
});

chatForm.addEventListener("submit", (event) => {
  event.preventDefault();
  if (!current || composer.input.value.trim() === "") return;
  const send = { text: composer.take(), cid: newCid() };
  sendTo(current, send, connection.online, { replyTo: replyBar.take(current.room.name), keep: true });
});

nickForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const nick = nickInput.value.trim();
  if (!nick || nick === client.nick) return;
  client.setNick(nick).then(
    () => alerts.say(`You are now ${nick}.`, "nick", "info"),
    (error: unknown) => {
      alerts.say(`Nickname not changed: ${error instanceof Error ? error.message : String(error)}`, "nick");
      nickInput.value = client.nick ?? "";
    },
  );
});

roomForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const name = roomInput.value.trim().replace(/^#/, "");
  if (!ROOM_NAME.test(name)) {
    alerts.say(`"${name}" is not a room name (letters, digits, . _ -, up to 64).`, "page");
    return;
  }
  roomInput.value = "";
  location.hash = encodeURIComponent(name);
  composer.input.focus();
});

leaveButton.addEventListener("click", () => {
  const view = current;
  if (!view) return;
  view.room.leave().catch((error: Error) => alerts.say(`#${view.room.name}: ${error.message}`, "page"));
  forget(view.room.name);
});

olderButton.addEventListener("click", () => {
  const name = current?.room.name ?? "";
  const before = current?.oldestSeq; // what the log shows (a reply's parent looked up is not part of it)
  current?.room
    .history({ limit: 50, ...(before === undefined ? {} : { before }) })
    .catch((error: Error) => alerts.say(`Older messages not loaded: ${error.message}`, `room:${name}`));
});

installShortcuts(
  {
    moveRoom: (step, unreadOnly) => {
      const names = roomNames();
      const at = current ? names.indexOf(current.room.name) : -1;
      for (let i = 1; i <= names.length; i++) {
        const name = names[(at + step * i + names.length * i) % names.length];
        if (name && (!unreadOnly || unreadOf(name) > 0)) {
          location.hash = encodeURIComponent(name);
          return;
        }
      }
    },
    jumpToLatest,
    focusComposer: () => composer.input.focus(),
  },
  byId("help"),
  scroller,
);

useFileToken(latestToken); // private rooms' files are served with it
installUploads(chatForm, chatForm.closest<HTMLElement>(".chat") ?? scroller, {
  composer,
  alerts,
  current: () => current,
  view: (name) => views.get(name),
  online: () => connection.online,
  ticket: (room) => client.uploadTicket(room).then((t) => ({ ticket: t.ticket, url: t.url, maxBytes: t.max_bytes })),
});
window.addEventListener("hashchange", () => show(roomFromHash()));
new SearchPanel(byId("search-slot"), client, {
  showRoom: (room) => {
    location.hash = encodeURIComponent(room);
    show(room); // now, not on hashchange: the view must not scroll to the latest after the result is shown
    return openRoom(room);
  },
  say: (text) => alerts.say(text, "page"),
});

for (const name of savedRooms()) if (ROOM_NAME.test(name)) openRoom(name);
show(roomFromHash());
for (const pending of savedPending()) {
  if (ROOM_NAME.test(pending.room)) sendTo(openRoom(pending.room), pending, connection.online);
}
renderRoomList();
