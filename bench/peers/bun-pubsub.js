/**
 * Peer: Bun's native pub/sub. Each socket subscribes to its room (the URL path) and every
 * message is published to the room with `server.publish`, which, like the Cookbook, reaches
 * the sender too. Run by the `bun` binary the npm package `bun` ships.
 * Usage: bun bench/peers/bun-pubsub.js PORT
 */
/* global Bun */
const port = Number(process.argv[2] ?? 12345);

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
      server.publish(ws.data.room, `${ws.data.nick}: ${message}`);
    },
    close(ws) {
      server.publish(ws.data.room, ` .... ${ws.data.nick} has left.`);
    },
  },
});
process.stdout.write(`bun listening on ${server.port}\n`);
