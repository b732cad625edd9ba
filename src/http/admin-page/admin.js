// Parley admin page: every call carries the token as a bearer header; the token lives in
// this module's memory only (no storage, no cookie). Everything shown goes in as text.
let token = "";
let currentRoom = "";

const $ = (id) => document.getElementById(id);
export const status = (text, isError = false) => {
  $("status").textContent = text;
  $("status").className = isError ? "error" : "";
};

export const api = async (method, path, body) => {
  const response = await fetch(`/admin/api${path}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, ...(body ? { "Content-Type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    const message = data.error ?? data.detail ?? response.statusText; // problem documents carry `detail`
    throw Object.assign(new Error(message), { status: response.status });
  }
  return data;
};

export const cell = (text, className) => {
  const td = document.createElement("td");
  td.textContent = String(text);
  if (className) td.className = className;
  return td;
};

export const button = (label, onClick) => {
  const td = document.createElement("td");
  const b = document.createElement("button");
  b.type = "button";
  b.textContent = label;
  b.addEventListener("click", onClick);
  td.append(b);
  return td;
};

export const fill = (tableId, rows) => {
  const body = $(tableId).querySelector("tbody");
  body.replaceChildren(...rows);
};

export const row = (...cells) => {
  const tr = document.createElement("tr");
  tr.append(...cells);
  return tr;
};

// Destructive actions ask first: a slip of the mouse must not kick someone or delete a message.
const confirmed = (question, action) => () => {
  if (window.confirm(question)) return action();
};

export const act = (what, action) => async () => {
  try {
    await action();
    status(what);
    await refresh();
  } catch (error) {
    status(`${what} failed: ${error.message}`, true);
    if (error.status === 401) logout();
  }
};

const showRooms = async () => {
  const { rooms } = await api("GET", "/rooms");
  fill(
    "rooms",
    rooms.map((r) => {
      const link = button(r.room, () => openRoom(r.room));
      return row(link, cell(r.members));
    }),
  );
};

const openRoom = async (room) => {
  currentRoom = room;
  $("room").hidden = false;
  $("room-name").textContent = room;
  await showRoom();
};

const showRoom = async () => {
  if (!currentRoom) return;
  const path = `/rooms/${encodeURIComponent(currentRoom)}`;
  const [{ members }, { messages }] = await Promise.all([
    api("GET", `${path}/members`),
    api("GET", `${path}/messages?limit=50`),
  ]);
  fill(
    "members",
    members.map((m) =>
      row(
        cell(m.nick),
        cell(m.mode),
        cell(m.ip),
        button(
          "Kick",
          confirmed(
            `Kick ${m.nick}? They are disconnected at once.`,
            act(`kicked ${m.nick}`, () => api("POST", "/kick", { nick: m.nick })),
          ),
        ),
      ),
    ),
  );
  fill(
    "messages",
    messages
      .slice()
      .reverse()
      .map((m) =>
        row(
          cell(m.seq),
          cell(new Date(m.ts).toLocaleString(), "time"),
          cell(m.nick),
          cell(m.text, "text"),
          button(
            "Delete",
            confirmed(
              `Delete message ${m.seq} by ${m.nick}? Everyone in the room sees it removed; it cannot be undone.`,
              act(`deleted message ${m.seq}`, () => api("DELETE", `${path}/messages/${m.seq}`)),
            ),
          ),
        ),
      ),
  );
};

const showBans = async () => {
  const { bans } = await api("GET", "/bans");
  fill(
    "bans",
    bans.map((b) =>
      row(
        cell(b.kind),
        cell(b.value),
        cell(new Date(b.until).toLocaleString()),
        button(
          "Lift",
          act(`lifted the ban on ${b.value}`, () => api("DELETE", `/bans/${b.kind}/${encodeURIComponent(b.value)}`)),
        ),
      ),
    ),
  );
};

// Sections in files of their own (admin-integrations.js) add what they show on each refresh.
const sections = [];
export const onRefresh = (show) => sections.push(show);

const refresh = async () => {
  await Promise.all([showRooms(), showBans(), showRoom(), ...sections.map((show) => show())]);
};

const logout = () => {
  token = "";
  $("panel").hidden = true;
  $("login").hidden = false;
};

$("login").addEventListener("submit", async (event) => {
  event.preventDefault();
  token = $("token").value;
  $("token").value = "";
  try {
    await refresh();
    $("login").hidden = true;
    $("panel").hidden = false;
    status("signed in");
  } catch (error) {
    token = "";
    status(error.status === 401 ? "That token was refused." : `Failed: ${error.message}`, true);
  }
});

$("refresh").addEventListener(
  "click",
  act("refreshed", async () => {}),
);

$("ban-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const kind = $("ban-kind").value;
  const value = $("ban-value").value.trim();
  const minutes = Number($("ban-minutes").value);
  void act(`banned ${value}`, async () => {
    const { closed } = await api("POST", "/bans", { [kind]: value, minutes });
    $("ban-value").value = "";
    return closed;
  })();
});
