// First page: the Cookbook's client, connected to this page's own origin (ws: or wss:).
const list = document.getElementById("chat-echo-area");
const input = document.getElementById("chat-input");
const status = document.getElementById("status");
const scheme = location.protocol === "https:" ? "wss:" : "ws:";
const ws = new WebSocket(`${scheme}//${location.host}/chat`);
ws.addEventListener("open", () => {
  status.textContent = "connected";
});
ws.addEventListener("close", () => {
  status.textContent = "disconnected";
});
ws.addEventListener("message", (event) => {
  const li = document.createElement("li");
  li.textContent = event.data;
  list.appendChild(li);
});
document.getElementById("chat-form").addEventListener("submit", (event) => {
  event.preventDefault();
  ws.send(input.value);
  input.value = "";
});
