/**
 * The trivial sink of `bench/sink.ts` on Bun's raw TCP sockets (`Bun.listen`), whose writes cost
 * less than Node's: the generator check, so that in many rooms (one write per delivery) the
 * sink, not only the generator, stays below what any server here can do. Same behaviour: a fixed
 * handshake, one pre-framed buffer per room every BATCH_MS, JSON frames wrapped and acked.
 * Usage: bun bench/sink-bun.js PORT [BATCH_MS]
 */
/* global Bun */
import { createHash } from "node:crypto";

const port = Number(process.argv[2] ?? 12345);
const batchMs = Number(process.argv[3] ?? 5);
const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
const PREFIX = Buffer.from("user-1: ");
const JSON_PREFIX = Buffer.from('{"type":"message","nick":"user-1","sent":');
const JSON_SUFFIX = Buffer.from("}");
const CID = Buffer.from('"cid":"');
const rooms = new Map();
const pending = new Map();
let scheduled = false;

const serverFrame = (payload) => {
  const header = payload.length < 126 ? 2 : 4;
  const frame = Buffer.allocUnsafe(header + payload.length);
  frame[0] = 0x81;
  if (header === 2) frame[1] = payload.length;
  else {
    frame[1] = 126;
    frame.writeUInt16BE(payload.length, 2);
  }
  payload.copy(frame, header);
  return frame;
};

/** Writes what the socket takes now; the rest waits for its drain, in order. */
const send = (socket, buf) => {
  const state = socket.data;
  if (state.queue.length > 0) {
    state.queue.push(buf);
    return;
  }
  const written = socket.write(buf);
  if (written < buf.length) state.queue.push(buf.subarray(Math.max(0, written)));
};

const flush = () => {
  scheduled = false;
  for (const [room, frames] of pending) {
    const out = frames.length === 1 ? frames[0] : Buffer.concat(frames);
    for (const socket of rooms.get(room) ?? []) send(socket, out);
  }
  pending.clear();
};

const onFrame = (socket, buf, off, header, length) => {
  const state = socket.data;
  const payload = Buffer.allocUnsafe(PREFIX.length + length);
  PREFIX.copy(payload, 0);
  for (let i = 0; i < length; i++) payload[PREFIX.length + i] = buf[off + header + i] ^ buf[off + header - 4 + (i & 3)];
  let frames = pending.get(state.room);
  if (!frames) {
    frames = [];
    pending.set(state.room, frames);
  }
  if (payload[PREFIX.length] === 0x7b) {
    const body = payload.subarray(PREFIX.length);
    const at = body.indexOf(CID);
    const cid = at < 0 ? "" : body.toString("latin1", at + CID.length, body.indexOf(0x22, at + CID.length));
    send(socket, serverFrame(Buffer.from(`{"type":"ack","cid":"${cid}","seq":1}`)));
    frames.push(serverFrame(Buffer.concat([JSON_PREFIX, body, JSON_SUFFIX])));
  } else frames.push(serverFrame(payload));
  if (!scheduled) {
    scheduled = true;
    setTimeout(flush, batchMs);
  }
};

Bun.listen({
  hostname: "127.0.0.1",
  port,
  socket: {
    open(socket) {
      socket.data = { room: "", rest: null, open: false, queue: [] };
    },
    data(socket, chunk) {
      const state = socket.data;
      let buf = state.rest ? Buffer.concat([state.rest, Buffer.from(chunk)]) : Buffer.from(chunk);
      state.rest = null;
      if (!state.open) {
        const end = buf.indexOf("\r\n\r\n");
        if (end === -1) {
          state.rest = buf;
          return;
        }
        const head = buf.toString("latin1", 0, end);
        state.room = head.slice(4, head.indexOf(" ", 4));
        const key = /sec-websocket-key: *(\S+)/i.exec(head)?.[1] ?? "";
        const accept = createHash("sha1")
          .update(key + GUID)
          .digest("base64");
        send(
          socket,
          Buffer.from(
            `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
          ),
        );
        let members = rooms.get(state.room);
        if (!members) {
          members = new Set();
          rooms.set(state.room, members);
        }
        members.add(socket);
        state.open = true;
        buf = buf.subarray(end + 4);
      }
      let off = 0;
      while (off + 6 <= buf.length) {
        const opcode = buf[off] & 0x0f;
        let length = buf[off + 1] & 0x7f;
        let header = 6;
        if (length === 126) {
          if (off + 8 > buf.length) break;
          length = buf.readUInt16BE(off + 2);
          header = 8;
        }
        const end = off + header + length;
        if (end > buf.length) break;
        if (opcode === 0x1) onFrame(socket, buf, off, header, length);
        else if (opcode === 0x8) socket.end();
        off = end;
      }
      if (off < buf.length) state.rest = Buffer.from(buf.subarray(off));
    },
    drain(socket) {
      const queue = socket.data.queue;
      while (queue.length > 0) {
        const buf = queue[0];
        const written = socket.write(buf);
        if (written < buf.length) {
          queue[0] = buf.subarray(Math.max(0, written));
          return;
        }
        queue.shift();
      }
    },
    close(socket) {
      rooms.get(socket.data.room)?.delete(socket);
    },
    error(socket) {
      rooms.get(socket.data.room)?.delete(socket);
    },
  },
});
process.stdout.write(`sink (bun) listening on ${port}\n`);
