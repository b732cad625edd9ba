/**
 * Peer: the Cookbook chat ported literally to Node + `ws`. A Map of connections to nicknames,
 * and for each message a loop calling `send(string)` on every client. The one addition is a
 * Map of such tables keyed by URL path, so the many-rooms workload has rooms to use.
 * Usage: node --import tsx bench/peers/ws-naive.ts PORT
 */
import { type WebSocket, WebSocketServer } from "ws";

const port = Number(process.argv[2] ?? 12345);
const rooms = new Map<string, Map<WebSocket, string>>();

const wss = new WebSocketServer({ host: "127.0.0.1", port });
wss.on("connection", (ws, req) => {
  const path = req.url ?? "/";
  let connections = rooms.get(path);
  if (!connections) {
    connections = new Map();
    rooms.set(path, connections);
  }
  const table = connections;
  // handle-new-connection
  table.set(ws, `user-${Math.floor(Math.random() * 100000)}`);
  // broadcast-to-room
  ws.on("message", (data) => {
    const message = `${table.get(ws)}: ${data}`;
    for (const con of table.keys()) con.send(message);
  });
  // handle-close-connection
  ws.on("close", () => {
    const message = ` .... ${table.get(ws)} has left.`;
    table.delete(ws);
    for (const con of table.keys()) con.send(message);
  });
});
wss.on("listening", () => process.stdout.write(`ws-naive listening on ${port}\n`));
