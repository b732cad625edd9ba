/**
 * Peer: the least a Node.js server can do per connection and per message in the Cookbook's text
 * shape, so the bench shows which of issue #22's targets any server on Node could reach at all.
 * `node:net` sockets; the handshake answered from the raw request head; client frames unmasked
 * straight into the outgoing frame (`nick: ` in front); each message framed once and queued to
 * its room's members, every socket written once per turn, as Parley's fan-out does. No ws, no
 * node:http, no limits, no store, no history, no checks beyond what keeps it running: what
 * Parley does on top of it is Parley's own cost. Text mode only.
 * Usage: node bench/peers/node-floor.js PORT
 */
import { createHash } from "node:crypto";
import { createServer } from "node:net";

const port = Number(process.argv[2] ?? 12345);
const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
const HEAD_END = Buffer.from("\r\n\r\n");
const MAX_HEAD = 16 * 1024;
/** Room (the URL path) → its connections. */
const rooms = new Map();
/** Connections with frames queued this turn. */
let dirty = [];

const frameHead = (length) => (length < 126 ? 2 : length < 65536 ? 4 : 10);
const writeHead = (out, opcode, length) => {
  out[0] = 0x80 | opcode;
  if (length < 126) out[1] = length;
  else if (length < 65536) {
    out[1] = 126;
    out.writeUInt16BE(length, 2);
  } else {
    out[1] = 127;
    out.writeBigUInt64BE(BigInt(length), 2);
  }
};
const frame = (opcode, payload) => {
  const out = Buffer.allocUnsafe(frameHead(payload.length) + payload.length);
  writeHead(out, opcode, payload.length);
  payload.copy(out, out.length - payload.length);
  return out;
};

const flush = () => {
  const conns = dirty;
  dirty = [];
  for (const conn of conns) {
    const out = conn.out;
    conn.out = [];
    if (!conn.socket.writable) continue;
    conn.socket.write(out.length === 1 ? out[0] : Buffer.concat(out));
  }
};

const broadcast = (members, framed) => {
  for (const member of members) {
    if (member.out.length === 0) {
      if (dirty.length === 0) setImmediate(flush);
      dirty.push(member);
    }
    member.out.push(framed);
  }
};

class Conn {
  constructor(socket) {
    this.socket = socket;
    this.head = null; // request bytes until the handshake is answered
    this.input = null; // frame bytes not yet whole
    this.out = [];
    this.members = null; // set by the handshake, with the room
    this.room = null;
    this.nick = `user-${Math.floor(Math.random() * 100000)}`;
    this.prefix = Buffer.from(`${this.nick}: `);
  }

  onData(chunk) {
    if (this.members === null) return this.onHead(chunk);
    const data = this.input === null ? chunk : Buffer.concat([this.input, chunk]);
    this.input = null;
    let at = 0;
    while (data.length - at >= 2) {
      const opcode = data[at] & 0x0f;
      let length = data[at + 1] & 0x7f;
      let offset = at + 2;
      if (length === 126) {
        if (data.length < offset + 2) break;
        length = data.readUInt16BE(offset);
        offset += 2;
      } else if (length === 127) {
        if (data.length < offset + 8) break;
        length = Number(data.readBigUInt64BE(offset));
        offset += 8;
      }
      if ((data[at + 1] & 0x80) === 0) return this.socket.destroy(); // clients must mask
      if (data.length < offset + 4 + length) break;
      const mask = offset;
      const payload = offset + 4;
      at = payload + length;
      if (opcode === 1) this.onText(data, mask, payload, length);
      else if (opcode === 8) {
        this.socket.end(frame(8, data.subarray(payload, payload + Math.min(length, 2))));
        return;
      } else if (opcode === 9) this.socket.write(frame(10, unmasked(data, mask, payload, length)));
    }
    if (at < data.length) this.input = data.subarray(at);
  }

  /** `nick: text`, unmasked straight into the frame every member gets. */
  onText(data, mask, payload, length) {
    const size = this.prefix.length + length;
    const out = Buffer.allocUnsafe(frameHead(size) + size);
    writeHead(out, 1, size);
    const start = out.length - length;
    this.prefix.copy(out, start - this.prefix.length);
    unmaskInto(out, start, data, mask, payload, length);
    broadcast(this.members, out);
  }

  onHead(chunk) {
    this.head = this.head === null ? chunk : Buffer.concat([this.head, chunk]);
    const end = this.head.indexOf(HEAD_END);
    if (end < 0) {
      if (this.head.length > MAX_HEAD) this.socket.destroy();
      return;
    }
    const head = this.head.toString("latin1", 0, end);
    const rest = this.head.subarray(end + 4);
    this.head = null;
    const path = /^GET (\S+) HTTP\/1\.1\r\n/.exec(head)?.[1];
    const key = /\r\nsec-websocket-key:[ \t]*([^\r\n]*?)[ \t]*(?:\r\n|$)/i.exec(head)?.[1];
    if (!path || !key) {
      this.socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
      return;
    }
    const accept = createHash("sha1")
      .update(key + GUID)
      .digest("base64");
    this.socket.write(
      `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
    );
    let members = rooms.get(path);
    if (!members) {
      members = new Set();
      rooms.set(path, members);
    }
    members.add(this);
    this.members = members;
    this.room = path;
    if (rest.length > 0) this.onData(rest);
  }

  onClose() {
    const members = this.members;
    if (members === null) return;
    this.members = null;
    members.delete(this);
    if (members.size === 0) rooms.delete(this.room);
    else broadcast(members, frame(1, Buffer.from(` .... ${this.nick} has left.`)));
  }
}

/** A client frame's payload (at `payload` in `data`, its key at `mask`), unmasked into `out` at `at`. */
const unmaskInto = (out, at, data, mask, payload, length) => {
  for (let i = 0; i < length; i++) out[at + i] = data[payload + i] ^ data[mask + (i & 3)];
};

const unmasked = (data, mask, payload, length) => {
  const out = Buffer.allocUnsafe(length);
  unmaskInto(out, 0, data, mask, payload, length);
  return out;
};

const server = createServer({ noDelay: true }, (socket) => {
  const conn = new Conn(socket);
  socket.on("data", (chunk) => conn.onData(chunk));
  socket.on("close", () => conn.onClose());
  socket.on("error", () => {}); // 'close' follows
});
server.listen(port, "127.0.0.1", () => process.stdout.write(`node-floor listening on ${port}\n`));
