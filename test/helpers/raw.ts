import { randomBytes } from "node:crypto";
import { type Socket, connect as tcpConnect } from "node:net";

/** A WebSocket frame as the server sent it. */
export interface ServerFrame {
  fin: boolean;
  opcode: number;
  payload: Buffer;
}

export interface RawOptions {
  /** Extra handshake headers (Origin, X-Forwarded-For, Sec-WebSocket-Protocol). */
  headers?: Record<string, string>;
  /** Source address: any 127.x.y.z, to look like another client. */
  localAddress?: string;
}

/**
 * A WebSocket client written by hand on a TCP socket, for what a well-behaved client never
 * does: malformed frames, huge announced lengths, never reading, never answering pings.
 */
export class RawClient {
  private buffer = Buffer.alloc(0);
  private readonly frames: ServerFrame[] = [];
  private readonly waiters = new Set<() => void>();
  ended = false;
  readonly ended$: Promise<void>;

  readonly socket: Socket;
  readonly status: number;
  readonly head: string;

  private constructor(socket: Socket, status: number, head: string, rest: Buffer) {
    this.socket = socket;
    this.status = status;
    this.head = head;
    this.ended$ = new Promise((resolve) => socket.once("close", () => resolve()));
    socket.on("data", (chunk: Buffer) => this.receive(chunk));
    socket.on("close", () => {
      this.ended = true;
      this.wake();
    });
    socket.on("error", () => {});
    if (rest.length > 0) this.receive(rest);
  }

  /** Opens a TCP connection and sends an upgrade request; resolves once the response head is in. */
  static open(port: number, path = "/", options: RawOptions = {}): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = tcpConnect({ port, host: "127.0.0.1", localAddress: options.localAddress ?? "127.0.0.1" });
      const headers = {
        Host: `127.0.0.1:${port}`,
        Upgrade: "websocket",
        Connection: "Upgrade",
        "Sec-WebSocket-Key": randomBytes(16).toString("base64"),
        "Sec-WebSocket-Version": "13",
        ...options.headers,
      };
      let got = Buffer.alloc(0);
      const onData = (chunk: Buffer) => {
        got = Buffer.concat([got, chunk]);
        const end = got.indexOf("\r\n\r\n");
        if (end < 0) return;
        socket.off("data", onData);
        const head = got.subarray(0, end).toString("latin1");
        const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0);
        resolve(new RawClient(socket, status, head, got.subarray(end + 4)));
      };
      socket.on("data", onData);
      socket.once("error", reject);
      socket.once("connect", () => {
        const lines = Object.entries(headers).map(([k, v]) => `${k}: ${v}`);
        socket.write(`GET ${path} HTTP/1.1\r\n${lines.join("\r\n")}\r\n\r\n`);
      });
    });
  }

  write(bytes: Buffer): void {
    if (!this.socket.destroyed) this.socket.write(bytes);
  }

  /** The next frame from the server; `undefined` once the connection is closed with none left. */
  next(timeoutMs = 5000): Promise<ServerFrame | undefined> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const frame = this.frames.shift();
        if (frame || this.ended) {
          clearTimeout(timer);
          this.waiters.delete(check);
          resolve(frame);
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error("timed out waiting for a frame from the server"));
      }, timeoutMs);
      if (!check()) this.waiters.add(check);
    });
  }

  /** Reads frames until a close frame; returns its code (1005 if it had none) or undefined if the TCP closed first. */
  async closeCode(timeoutMs = 5000): Promise<number | undefined> {
    for (;;) {
      const frame = await this.next(timeoutMs);
      if (!frame) return undefined;
      if (frame.opcode === 0x8) return frame.payload.length >= 2 ? frame.payload.readUInt16BE(0) : 1005;
    }
  }

  destroy(): void {
    this.socket.destroy();
  }

  private receive(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (;;) {
      const frame = parseFrame(this.buffer);
      if (!frame) break;
      this.frames.push(frame.frame);
      this.buffer = this.buffer.subarray(frame.size);
    }
    this.wake();
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}

const parseFrame = (buf: Buffer): { frame: ServerFrame; size: number } | undefined => {
  if (buf.length < 2) return undefined;
  const b0 = buf[0] as number;
  const b1 = buf[1] as number;
  let length = b1 & 0x7f;
  let offset = 2;
  if (length === 126) {
    if (buf.length < 4) return undefined;
    length = buf.readUInt16BE(2);
    offset = 4;
  } else if (length === 127) {
    if (buf.length < 10) return undefined;
    length = Number(buf.readBigUInt64BE(2));
    offset = 10;
  }
  if (buf.length < offset + length) return undefined;
  return {
    frame: { fin: (b0 & 0x80) !== 0, opcode: b0 & 0x0f, payload: Buffer.from(buf.subarray(offset, offset + length)) },
    size: offset + length,
  };
};

export interface FrameSpec {
  opcode: number;
  payload?: Buffer | string;
  fin?: boolean;
  /** RSV1-3 as the three bits 0b100, 0b010, 0b001. */
  rsv?: number;
  mask?: boolean;
  /** Announce this length instead of the payload's (to send only part of a frame). */
  announcedLength?: number;
}

/** Builds one client frame, masked as RFC 6455 requires unless told otherwise. */
export const clientFrame = (spec: FrameSpec): Buffer => {
  const payload = typeof spec.payload === "string" ? Buffer.from(spec.payload) : (spec.payload ?? Buffer.alloc(0));
  const length = spec.announcedLength ?? payload.length;
  const mask = spec.mask ?? true;
  const head: number[] = [((spec.fin ?? true) ? 0x80 : 0) | ((spec.rsv ?? 0) << 4) | (spec.opcode & 0x0f)];
  const maskBit = mask ? 0x80 : 0;
  let ext = Buffer.alloc(0);
  if (length < 126) head.push(maskBit | length);
  else if (length < 65536) {
    head.push(maskBit | 126);
    ext = Buffer.alloc(2);
    ext.writeUInt16BE(length);
  } else {
    head.push(maskBit | 127);
    ext = Buffer.alloc(8);
    ext.writeBigUInt64BE(BigInt(length));
  }
  const key = mask ? randomBytes(4) : Buffer.alloc(0);
  const body = Buffer.from(payload);
  if (mask) for (let i = 0; i < body.length; i++) body[i] = (body[i] as number) ^ (key[i % 4] as number);
  return Buffer.concat([Buffer.from(head), ext, key, body]);
};
