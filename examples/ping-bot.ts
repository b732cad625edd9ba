// A bot on the Parley SDK: joins a room and answers "!ping" with "pong".
// Run it: node --import tsx examples/ping-bot.ts [ws-url] [room]
// It reconnects and resumes by itself; a "!ping" sent while it was away is answered when it is back.
import { connect } from "parley-client";
import WebSocket from "ws"; // not needed on Node ≥ 22, which has its own

const url = process.argv[2] ?? "ws://localhost:8080/chat";
const roomName = process.argv[3] ?? "lobby";

const client = connect(url, { WebSocket, nick: "ping-bot" });
const room = client.join(roomName);

room.on("message", (message) => {
  if (message.text.trim() === "!ping" && message.nick !== client.nick) {
    room.send("pong").catch((error: Error) => console.error(`pong not sent: ${error.message}`));
  }
});
room.on("joined", ({ lastSeq }) => console.log(`in #${roomName} (last seq ${lastSeq})`));
client.on("state", ({ state, code, reason }) => console.log(`${state}${code ? ` (${code} ${reason ?? ""})` : ""}`));

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    void client.close().then(() => process.exit(0));
  });
}
