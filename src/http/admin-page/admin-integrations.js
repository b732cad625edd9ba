// The admin page's integrations: webhook endpoints (where their deliveries stand, this node's
// figures) and API keys (their use on this node). Same markup and helpers as admin.js.
import { act, api, button, cell, fill, onRefresh, row, status } from "./admin.js";

const $ = (id) => document.getElementById(id);
const when = (ms) => (ms === null ? "never" : new Date(ms).toLocaleString());
const ms = (value) => (value === null ? "–" : `${value} ms`);

const state = (e) => {
  if (e.disabledAt !== null) return `disabled: ${e.disabledReason}`;
  if (e.failingSince !== null)
    return `failing since ${when(e.failingSince)} (${e.failures}), next try ${when(e.nextAttemptAt)}`;
  return "enabled";
};

const showWebhooks = async () => {
  const { endpoints } = await api("GET", "/webhooks");
  fill(
    "webhooks",
    endpoints.map((e) =>
      row(
        cell(e.url, "text"),
        cell(e.rooms.join(", ")),
        cell(state(e), "text"),
        cell(e.lastError ?? (e.lastStatus === null ? "–" : `HTTP ${e.lastStatus}`), "text"),
        cell(e.figures.delivered),
        cell(e.figures.failed),
        cell(ms(e.figures.meanMs)),
        cell(ms(e.figures.maxMs)),
        button(
          e.disabledAt === null ? "Disable" : "Enable",
          act(`${e.disabledAt === null ? "disabled" : "enabled"} ${e.url}`, () =>
            api("PATCH", `/webhooks/${encodeURIComponent(e.id)}`, { enabled: e.disabledAt !== null }),
          ),
        ),
        button(
          "Delete",
          act(`deleted ${e.url}`, () => api("DELETE", `/webhooks/${encodeURIComponent(e.id)}`)),
        ),
      ),
    ),
  );
};

const showKeys = async () => {
  const { keys } = await api("GET", "/keys");
  fill(
    "keys",
    keys.map((k) =>
      row(
        cell(k.name),
        cell(k.rooms.join(", ")),
        cell(k.rights.join(", ")),
        cell(k.use.requests),
        cell(when(k.use.lastUsedAt)),
        cell(k.revokedAt === null ? "active" : `revoked ${when(k.revokedAt)}`),
      ),
    ),
  );
};

onRefresh(() => Promise.all([showWebhooks(), showKeys()]));

$("webhook-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const url = $("webhook-url").value.trim();
  const rooms = $("webhook-rooms")
    .value.split(",")
    .map((r) => r.trim())
    .filter((r) => r !== "");
  void act(`registered ${url}`, async () => {
    const made = await api("POST", "/webhooks", { url, rooms, events: ["message.created"] });
    $("webhook-url").value = "";
    $("webhook-secret").textContent = `Signing secret for ${made.url} (shown once): ${made.secret}`;
    $("webhook-secret").hidden = false;
  })().then(() => {
    if (!$("webhook-secret").hidden) status(`registered ${url}: copy its secret now`);
  });
});
