/**
 * The trivial sink: the cheapest broadcast server there can be, to show the load generator is
 * not the bottleneck. Raw `net`, a fixed handshake, and per room per event-loop turn one
 * pre-framed buffer written to every member, every BATCH_MS milliseconds (0: every event-loop
 * turn). What it reaches is a floor for what the generator can take in. A JSON client's frame
 * (`{…}`) is wrapped as `{"type":"message",…}` for the room and acked to its sender with its `cid`,
 * so the JSON workloads have the same check.
 * Usage: node --import tsx bench/sink.ts PORT [BATCH_MS]
 */
import { createHash } from "node:crypto";
import { createServer, type Socket } from "node:net";

const port = Number(process.argv[2] ?? 12345);
const batchMs = Number(process.argv[3] ?? 0);
const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
const rooms = new Map<string, Set<Socket>>();
const pending = new Map<string, Buffer[]>();
let scheduled = false;

const serverFrame = (payload: Buffer): Buffer => {
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

const flush = (): void => {
  scheduled = false;
  for (const [room, frames] of pending) {
    const out = frames.length === 1 ? (frames[0] as Buffer) : Buffer.concat(frames);
    for (const socket of rooms.get(room) ?? []) socket.write(out);
  }
  pending.clear();
};

const PREFIX = Buffer.from("user-1: ");
const JSON_PREFIX = Buffer.from('{"type":"message","nick":"user-1","sent":');
const JSON_SUFFIX = Buffer.from("}");
const CID = Buffer.from('"cid":"');

/** A JSON client's frame for the room, and its ack (the `cid` copied back) for the sender. */
const jsonFrames = (payload: Buffer): { broadcast: Buffer; ack: Buffer } => {
  const broadcast = serverFrame(Buffer.concat([JSON_PREFIX, payload, JSON_SUFFIX]));
  const at = payload.indexOf(CID);
  const cid = at < 0 ? "" : payload.toString("latin1", at + CID.length, payload.indexOf(0x22, at + CID.length));
  return { broadcast, ack: serverFrame(Buffer.from(`{"type":"ack","cid":"${cid}","seq":1}`)) };
};

createServer((socket) => {
  socket.setNoDelay(true);
  let room = "";
  let rest: Buffer | null = null;
  let open = false;
  socket.on("data", (chunk: Buffer) => {
    let buf = rest ? Buffer.concat([rest, chunk]) : chunk;
    rest = null;
    if (!open) {
      const end = buf.indexOf("\r\n\r\n");
      if (end === -1) {
        rest = buf;
        return;
      }
      const head = buf.toString("latin1", 0, end);
      room = head.slice(4, head.indexOf(" ", 4));
      const key = /sec-websocket-key: *(\S+)/i.exec(head)?.[1] ?? "";
      const accept = createHash("sha1")
        .update(key + GUID)
        .digest("base64");
      socket.write(
        `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
      );
      let members = rooms.get(room);
      if (!members) {
        members = new Set();
        rooms.set(room, members);
      }
      members.add(socket);
      open = true;
      buf = buf.subarray(end + 4);
    }
    let off = 0;
    while (off + 6 <= buf.length) {
      const opcode = (buf[off] as number) & 0x0f;
      let length = (buf[off + 1] as number) & 0x7f;
      let header = 6;
      if (length === 126) {
        if (off + 8 > buf.length) break;
        length = buf.readUInt16BE(off + 2);
        header = 8;
      }
      const end = off + header + length;
      if (end > buf.length) break;
      if (opcode === 0x1) {
        const payload = Buffer.allocUnsafe(PREFIX.length + length);
        PREFIX.copy(payload, 0);
        for (let i = 0; i < length; i++) {
          payload[PREFIX.length + i] = (buf[off + header + i] as number) ^ (buf[off + header - 4 + (i & 3)] as number);
        }
        let frames = pending.get(room);
        if (!frames) {
          frames = [];
          pending.set(room, frames);
        }
        if (payload[PREFIX.length] === 0x7b) {
          const { broadcast, ack } = jsonFrames(payload.subarray(PREFIX.length));
          socket.write(ack);
          frames.push(broadcast);
        } else frames.push(serverFrame(payload));
        if (!scheduled) {
          scheduled = true;
          if (batchMs > 0) setTimeout(flush, batchMs);
          else setImmediate(flush);
        }
      } else if (opcode === 0x8) {
        socket.end();
      }
      off = end;
    }
    if (off < buf.length) rest = buf.subarray(off);
  });
  const leave = () => rooms.get(room)?.delete(socket);
  socket.on("close", leave);
  socket.on("error", leave);
}).listen(port, "127.0.0.1", () => process.stdout.write(`sink listening on ${port}\n`));
