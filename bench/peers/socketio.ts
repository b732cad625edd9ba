/**
 * Peer: Socket.IO with a room broadcast, as its docs show it. A client joins the room named in
 * its handshake query and every `msg` event is re-emitted to the room with `io.to(room).emit`.
 * Usage: node --import tsx bench/peers/socketio.ts PORT
 */
import { createServer } from "node:http";
import { Server } from "socket.io";

const port = Number(process.argv[2] ?? 12345);
const httpServer = createServer();
const io = new Server(httpServer, { serveClient: false });

io.on("connection", (socket) => {
  const room = String(socket.handshake.query.room ?? "lobby");
  const nick = `user-${Math.floor(Math.random() * 100000)}`;
  socket.join(room);
  socket.on("msg", (text: string) => {
    io.to(room).emit("msg", `${nick}: ${text}`);
  });
  socket.on("disconnect", () => {
    io.to(room).emit("msg", ` .... ${nick} has left.`);
  });
});
httpServer.listen(port, "127.0.0.1", () => process.stdout.write(`socketio listening on ${port}\n`));
