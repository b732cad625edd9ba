import { hash } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Socket } from "node:net";
import { Wire, type WireEvents } from "./wire.ts";

/** The handshake of wire.ts: checked as `ws` checked it, answered 101, then the socket is the wire's. */

const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
const KEY = /^[+/0-9A-Za-z]{22}==$/;
const kWire = Symbol("wire");
type WiredSocket = Socket & { [kWire]: Wire };

// The same four listeners for every socket (`this` is the socket).
function onData(this: WiredSocket, chunk: Buffer): void {
  this[kWire].feed(chunk);
}
function onEnd(this: WiredSocket): void {
  this.end(); // the peer went without a close frame: 1006
}
function onError(this: WiredSocket): void {
  this.destroy(); // 'close' follows
}
function onClose(this: WiredSocket): void {
  this[kWire].gone();
}

/** Why a handshake cannot be accepted (as ws answers it), or undefined when it can. */
export const handshakeProblem = (
  req: IncomingMessage,
): { status: number; message: string; headers?: Record<string, string> } | undefined => {
  if (req.method !== "GET") return { status: 405, message: "Invalid HTTP method" };
  if (req.headers.upgrade?.toLowerCase() !== "websocket") return { status: 400, message: "Invalid Upgrade header" };
  const key = req.headers["sec-websocket-key"];
  if (key === undefined || !KEY.test(key))
    return { status: 400, message: "Missing or invalid Sec-WebSocket-Key header" };
  if (req.headers["sec-websocket-version"] !== "13") {
    return {
      status: 400,
      message: "Missing or invalid Sec-WebSocket-Version header",
      headers: { "Sec-WebSocket-Version": "13" },
    };
  }
  return undefined;
};

/** Completes a handshake `handshakeProblem` passed: the 101 answer, then frames. */
export const openWire = (
  req: IncomingMessage,
  socket: Socket,
  head: Buffer,
  protocol: string | undefined,
  events: WireEvents,
  maxPayload: number,
): Wire => {
  const accept = hash("sha1", `${req.headers["sec-websocket-key"]}${GUID}`, "base64");
  const chosen = protocol === undefined ? "" : `Sec-WebSocket-Protocol: ${protocol}\r\n`;
  socket.write(
    `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n${chosen}\r\n`,
  );
  socket.setTimeout(0);
  socket.setNoDelay(true);
  const wire = new Wire(socket, events, maxPayload);
  const wired = socket as WiredSocket;
  wired[kWire] = wire;
  socket.on("data", onData);
  socket.on("end", onEnd);
  socket.on("error", onError);
  socket.on("close", onClose);
  // Read with the rest, once the caller has set `conn` (as ws does).
  if (head.length > 0) socket.unshift(head);
  return wire;
};
