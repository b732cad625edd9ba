/**
 * Peer: Bun's native pub/sub. Each socket subscribes to its room (the URL path) and every
 * message is published to the room with `server.publish`, which, like the Cookbook, reaches
 * the sender too. Run by the `bun` binary the npm package `bun` ships.
 * With `json`, it speaks the shape of Parley's JSON v1 as a plain server would (for the JSON
 * workloads): each `{"type":"send","text","cid"}` is parsed, numbered in its room, acked to the
 * sender and published as `{"type":"message",…}`; no store, no history.
 * Usage: bun bench/peers/bun-pubsub.js PORT [json]
 */
/* global Bun */
const port = Number(process.argv[2] ?? 12345);
const json = process.argv[3] === "json";
const seqs = new Map();

const jsonMessage = (ws, data) => {
  let frame;
  try {
    frame = JSON.parse(String(data));
  } catch {
    ws.send('{"type":"error","code":"bad_request","message":"Not JSON."}');
    return;
  }
  const room = ws.data.room;
  const seq = (seqs.get(room) ?? 0) + 1;
  seqs.set(room, seq);
  const ts = Date.now();
  ws.send(JSON.stringify({ type: "ack", cid: frame.cid ?? null, room, seq, ts, duplicate: false }));
  server.publish(
    room,
    JSON.stringify({ type: "message", room, seq, nick: ws.data.nick, text: String(frame.text), ts }),
  );
};

const server = Bun.serve({
  hostname: "127.0.0.1",
  port,
  fetch(req, srv) {
    const room = new URL(req.url).pathname;
    const nick = `user-${Math.floor(Math.random() * 100000)}`;
    if (srv.upgrade(req, { data: { room, nick } })) return undefined;
    return new Response("WebSocket only\n", { status: 426 });
  },
  websocket: {
    open(ws) {
      ws.subscribe(ws.data.room);
    },
    message(ws, message) {
      if (json) return jsonMessage(ws, message);
      server.publish(ws.data.room, `${ws.data.nick}: ${message}`);
    },
    close(ws) {
      if (json) return;
      server.publish(ws.data.room, ` .... ${ws.data.nick} has left.`);
    },
  },
});
process.stdout.write(`bun listening on ${server.port}\n`);
