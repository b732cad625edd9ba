/**
 * Peer: the Cookbook chat ported literally to Node + `ws`. A Map of connections to nicknames,
 * and for each message a loop calling `send(string)` on every client. The one addition is a
 * Map of such tables keyed by URL path, so the many-rooms workload has rooms to use.
 * With `json`, the same loop over Parley's JSON v1 shape (for the JSON workloads): each
 * `{"type":"send","text","cid"}` is parsed, numbered in its room, acked to the sender and sent to
 * every member as `{"type":"message",…}`; no store, no history.
 * Usage: node --import tsx bench/peers/ws-naive.ts PORT [json]
 */
import { type WebSocket, WebSocketServer } from "ws";

const port = Number(process.argv[2] ?? 12345);
const json = process.argv[3] === "json";
const rooms = new Map<string, Map<WebSocket, string>>();
const seqs = new Map<string, number>();

const jsonMessage = (ws: WebSocket, table: Map<WebSocket, string>, room: string, data: unknown): void => {
  let frame: { text?: unknown; cid?: unknown };
  try {
    frame = JSON.parse(String(data)) as { text?: unknown; cid?: unknown };
  } catch {
    ws.send('{"type":"error","code":"bad_request","message":"Not JSON."}');
    return;
  }
  const seq = (seqs.get(room) ?? 0) + 1;
  seqs.set(room, seq);
  const ts = Date.now();
  ws.send(JSON.stringify({ type: "ack", cid: frame.cid ?? null, room, seq, ts, duplicate: false }));
  const message = JSON.stringify({ type: "message", room, seq, nick: table.get(ws), text: String(frame.text), ts });
  for (const con of table.keys()) con.send(message);
};

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
    if (json) {
      jsonMessage(ws, table, path, data);
      return;
    }
    const message = `${table.get(ws)}: ${data}`;
    for (const con of table.keys()) con.send(message);
  });
  // handle-close-connection
  ws.on("close", () => {
    const message = ` .... ${table.get(ws)} has left.`;
    table.delete(ws);
    if (json) return;
    for (const con of table.keys()) con.send(message);
  });
});
wss.on("listening", () => process.stdout.write(`ws-naive listening on ${port}\n`));
