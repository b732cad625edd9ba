import { createServer, type Server, type Socket } from "node:net";
import { closeWith } from "./refuse.ts";
import { HeadError, parseRequestHead, type RequestHead } from "./request-head.ts";

/**
 * The WebSocket port without node:http: a `net.Server` that reads each socket's request head itself
 * (request-head.ts) and emits `'upgrade'` with it, as node:http does, but for every head (the
 * listener answers the ones that are not upgrades). Its job is one request per socket: no parser,
 * IncomingMessage or ServerResponse per handshake. Deadlines are the handshake guard's (watch it).
 */
export interface HeadRequest extends RequestHead {
  socket: Socket;
}

export type HeadListener = (req: HeadRequest, socket: Socket, rest: Buffer) => void;

/** node:http's default --max-http-header-size: a head past it is refused with 431. */
export const MAX_HEAD_BYTES = 16 * 1024;

const END = Buffer.from("\r\n\r\n");
const BAD_REQUEST = "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n";
const TOO_LARGE = "HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\n\r\n";

const kHead = Symbol("head");
const kServer = Symbol("headServer");
type Reading = Socket & { [kHead]: Buffer | undefined; [kServer]: HeadServer };

/** A server from createHeadServer. */
export interface HeadServer extends Server {
  [kServer]: { maxHeadBytes: number; reading: Set<Socket> };
  /** Destroys the sockets whose head is not in yet (at shutdown, as node:http's closeAllConnections). */
  closeUnfinished(): void;
}

// The same listeners for every socket until its head is in (`this` is the socket): no closure per socket.
function onData(this: Reading, chunk: Buffer): void {
  const before = this[kHead];
  const bytes = before === undefined ? chunk : Buffer.concat([before, chunk]);
  // Resume the search where the CRLFCRLF could start: three bytes back into what was there.
  const end = bytes.indexOf(END, before === undefined ? 0 : Math.max(0, before.length - 3));
  const max = this[kServer][kServer].maxHeadBytes;
  if (end < 0 ? bytes.length > max : end + END.length > max) {
    stopReading(this);
    closeWith(this, TOO_LARGE);
    return;
  }
  if (end < 0) {
    this[kHead] = bytes;
    return;
  }
  stopReading(this);
  let head: RequestHead;
  try {
    head = parseRequestHead(bytes.subarray(0, end));
  } catch (error) {
    if (!(error instanceof HeadError)) throw error;
    closeWith(this, BAD_REQUEST);
    return;
  }
  const req = head as HeadRequest;
  req.socket = this;
  this[kServer].emit("upgrade", req, this, bytes.subarray(end + END.length));
}
function onEnd(this: Reading): void {
  this.end(); // gone before its head was in
}
function onError(this: Reading): void {
  this.destroy();
}
function onClose(this: Reading): void {
  this[kServer][kServer].reading.delete(this);
}

const stopReading = (socket: Reading): void => {
  socket[kHead] = undefined;
  socket.removeListener("data", onData);
  socket.removeListener("end", onEnd);
  socket.removeListener("error", onError);
  socket.removeListener("close", onClose);
  socket[kServer][kServer].reading.delete(socket);
  // Neither flowing nor paused (as node:http leaves an upgraded socket): bytes wait in the stream
  // until the next owner adds its 'data' listener (or closeWith resumes it to discard them).
  (socket as { readableFlowing: boolean | null }).readableFlowing = null;
};

/** A server whose 'upgrade' listeners get each socket's request head (at most `maxHeadBytes`, else 431). */
export const createHeadServer = (maxHeadBytes = MAX_HEAD_BYTES): HeadServer => {
  const server = createServer({ noDelay: true }) as HeadServer;
  const reading = new Set<Socket>();
  server[kServer] = { maxHeadBytes, reading };
  server.closeUnfinished = () => {
    for (const socket of reading) socket.destroy();
  };
  server.on("connection", (socket: Socket) => {
    const fresh = socket as Reading;
    fresh[kHead] = undefined;
    fresh[kServer] = server;
    socket.on("data", onData);
    socket.on("end", onEnd);
    socket.on("error", onError);
    socket.on("close", onClose);
    reading.add(socket);
  });
  return server;
};
