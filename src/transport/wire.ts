import { isUtf8 } from "node:buffer";
import type { Socket } from "node:net";
import { CLOSE } from "../protocol/close-codes.ts";
import type { SocketLink } from "./socket-link.ts";

/**
 * The server side of RFC 6455 on a raw socket, instead of `ws`: the handshake answered on the
 * http 'upgrade' event, and a frame parser fed from the socket's 'data' with no stream state of
 * its own (ws's Receiver is a Writable, its Sender and WebSocket event emitters: ~1.4 kB a
 * connection). Parley writes its data frames to the socket itself (socket-link.ts); this sends
 * only control frames. permessage-deflate is not offered. The handshake: wire-handshake.ts.
 */

/** What a wire reports; one set per gateway, shared by every socket (no closure per connection). */
export interface WireEvents {
  /** A complete message: its text, or null for a binary one (Parley does not read those). */
  message(wire: Wire, text: string | null): void;
  /** The socket is gone: the peer's close code (1005: none given, 1006: no close frame), its reason. */
  close(wire: Wire, code: number, reason: string): void;
}

/** A peer that does not answer our close frame within this long is dropped (as ws does). */
const CLOSE_TIMEOUT_MS = 30_000;
/** Parts one fragmented message may have: empty continuations must not grow memory without bound. */
const MAX_PARTS = 1024;
const State = { Open: 0, Closing: 1, Closed: 2 } as const;
type State = (typeof State)[keyof typeof State];

/** A server frame (never masked) with `opcode` and `payload` (control frames: at most 125 bytes). */
const controlFrame = (opcode: number, payload: Buffer): Buffer => {
  const frame = Buffer.allocUnsafe(2 + payload.length);
  frame[0] = 0x80 | opcode;
  frame[1] = payload.length;
  payload.copy(frame, 2);
  return frame;
};
const PING = controlFrame(0x9, Buffer.alloc(0));

const closePayload = (code: number, reason: string): Buffer => {
  const payload = Buffer.allocUnsafe(2 + Buffer.byteLength(reason));
  payload.writeUInt16BE(code, 0);
  payload.write(reason, 2, "utf8");
  return payload;
};

/** Codes a peer may send (RFC 6455 §7.4, as ws checks them). */
const validCloseCode = (code: number): boolean =>
  (code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) || (code >= 3000 && code <= 4999);

export class Wire {
  /** The connection it carries, set by the gateway once accepted. */
  conn: SocketLink | undefined = undefined;
  private state: State = State.Open;
  /** Bytes of a frame not complete yet, and their total. */
  private pending: Buffer[] | null = null;
  private pendingBytes = 0;
  /** Bytes the frame in `pending` needs in all, once its header is known (0: not yet): chunks wait unjoined till then. */
  private pendingNeeds = 0;
  /** The parts of a fragmented message so far (its opcode: 1 text, 2 binary). */
  private parts: Buffer[] | null = null;
  private partsOpcode = 0;
  private partsBytes = 0;
  private closeSent = false;
  /** The peer's close frame came: nothing after it is read. */
  private closeReceived = false;
  /** The peer's close code and reason, once its close frame came. */
  private peerCode = 1006;
  private peerReason = "";
  /** The code Parley sent when it failed the connection for a protocol error (1002, 1007, 1008, 1009). */
  failCode: number | undefined;
  private closeTimer: NodeJS.Timeout | undefined;

  readonly socket: Socket;
  private readonly events: WireEvents;
  private readonly maxPayload: number;

  constructor(socket: Socket, events: WireEvents, maxPayload: number) {
    this.socket = socket;
    this.events = events;
    this.maxPayload = maxPayload;
  }

  get open(): boolean {
    return this.state === State.Open;
  }

  get closed(): boolean {
    return this.state === State.Closed;
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  ping(): void {
    if (this.state === State.Open) this.socket.write(PING);
  }

  /** Starts the close handshake; the socket ends when the peer answers (or after CLOSE_TIMEOUT_MS). */
  close(code: number, reason: string): void {
    if (this.state !== State.Open) return;
    this.sendClose(closePayload(code, reason));
  }

  /** Drops the socket now; 'close' follows. */
  terminate(): void {
    this.socket.destroy();
  }

  private sendClose(payload: Buffer): void {
    this.state = State.Closing;
    this.closeSent = true;
    this.socket.write(controlFrame(0x8, payload));
    this.closeTimer = setTimeout(() => this.socket.destroy(), CLOSE_TIMEOUT_MS);
    this.closeTimer.unref();
  }

  /** Fails the connection (RFC 6455 §7.1.7): a close frame with `code`, then the socket ends. */
  private fail(code: number, reason: string): void {
    this.pending = null;
    this.parts = null;
    if (this.state === State.Closed) return;
    if (!this.closeSent) {
      this.failCode = code;
      this.sendClose(closePayload(code, reason));
    }
    this.socket.end();
    this.state = State.Closed; // nothing more is read
  }

  feed(chunk: Buffer): void {
    let data = chunk;
    if (this.pending !== null) {
      this.pending.push(chunk);
      this.pendingBytes += chunk.length;
      // A big frame comes in many chunks: joined once when complete, not once per chunk (quadratic).
      if (this.pendingBytes < this.pendingNeeds) return;
      data = Buffer.concat(this.pending, this.pendingBytes);
      this.pending = null;
      this.pendingNeeds = 0;
    }
    let needs = 0;
    let at = 0;
    while (this.state !== State.Closed && !this.closeReceived) {
      const available = data.length - at;
      if (available < 2) break;
      const b0 = data[at] as number;
      const b1 = data[at + 1] as number;
      const fin = (b0 & 0x80) !== 0;
      const opcode = b0 & 0x0f;
      if ((b0 & 0x70) !== 0) {
        this.fail(CLOSE.protocolError, "RSV bits must be clear");
        return;
      }
      if ((b1 & 0x80) === 0) {
        this.fail(CLOSE.protocolError, "a client frame must be masked");
        return;
      }
      let length = b1 & 0x7f;
      let header = 6;
      if (length === 126) {
        if (available < 4) break;
        length = data.readUInt16BE(at + 2);
        header = 8;
      } else if (length === 127) {
        if (available < 10) break;
        const high = data.readUInt32BE(at + 2);
        if (high > 0x1fffff) {
          this.fail(CLOSE.tooLarge, "message too big");
          return;
        }
        length = high * 2 ** 32 + data.readUInt32BE(at + 6);
        header = 14;
      }
      if (opcode >= 0x8) {
        if (opcode > 0xa) {
          this.fail(CLOSE.protocolError, "unknown opcode");
          return;
        }
        if (!fin || length > 125) {
          this.fail(CLOSE.protocolError, "bad control frame");
          return;
        }
      } else if (opcode > 0x2) {
        this.fail(CLOSE.protocolError, "unknown opcode");
        return;
      } else if (length + (opcode === 0 ? this.partsBytes : 0) > this.maxPayload) {
        this.fail(CLOSE.tooLarge, "message too big");
        return;
      }
      if (available < header + length) {
        needs = header + length;
        break;
      }
      const mask = at + header - 4;
      const payload = data.subarray(at + header, at + header + length);
      for (let i = 0; i < length; i++) payload[i] = (payload[i] as number) ^ (data[mask + (i & 3)] as number);
      at += header + length;
      if (opcode >= 0x8) this.control(opcode, payload);
      else this.data(opcode, fin, payload);
    }
    if (at < data.length && this.state !== State.Closed && !this.closeReceived) {
      // Copied: a frame's first bytes must not keep the whole read buffer alive.
      this.pending = [Buffer.from(data.subarray(at))];
      this.pendingBytes = data.length - at;
      this.pendingNeeds = needs;
    }
  }

  private data(opcode: number, fin: boolean, payload: Buffer): void {
    if (opcode === 0) {
      if (this.parts === null) {
        this.fail(CLOSE.protocolError, "continuation of nothing");
        return;
      }
      if (this.parts.length >= MAX_PARTS) {
        this.fail(CLOSE.policyViolation, "too many fragments");
        return;
      }
      this.parts.push(Buffer.from(payload));
      this.partsBytes += payload.length;
      if (!fin) return;
      const whole = Buffer.concat(this.parts, this.partsBytes);
      const kind = this.partsOpcode;
      this.parts = null;
      this.partsBytes = 0;
      this.deliver(kind, whole);
      return;
    }
    if (this.parts !== null) {
      this.fail(CLOSE.protocolError, "a new message inside a fragmented one");
      return;
    }
    if (fin) this.deliver(opcode, payload);
    else {
      this.parts = [Buffer.from(payload)];
      this.partsOpcode = opcode;
      this.partsBytes = payload.length;
    }
  }

  private deliver(opcode: number, payload: Buffer): void {
    if (opcode === 0x2) {
      this.events.message(this, null);
      return;
    }
    if (!isUtf8(payload)) {
      this.fail(CLOSE.invalidPayload, "invalid UTF-8");
      return;
    }
    this.events.message(this, payload.toString("utf8"));
  }

  private control(opcode: number, payload: Buffer): void {
    if (opcode === 0x9) {
      if (this.state === State.Open) this.socket.write(controlFrame(0xa, payload));
      return;
    }
    if (opcode === 0xa) return;
    if (payload.length === 1) {
      this.fail(CLOSE.protocolError, "bad close frame");
      return;
    }
    let code = 1005;
    if (payload.length >= 2) {
      code = payload.readUInt16BE(0);
      if (!validCloseCode(code)) {
        this.fail(CLOSE.protocolError, "bad close code");
        return;
      }
      if (!isUtf8(payload.subarray(2))) {
        this.fail(CLOSE.invalidPayload, "invalid UTF-8");
        return;
      }
      this.peerReason = payload.toString("utf8", 2);
    }
    this.peerCode = code;
    this.closeReceived = true;
    // Echoed as it came (code and reason, or nothing); the server ends the TCP connection first.
    if (!this.closeSent) this.sendClose(Buffer.from(payload));
    this.socket.end();
  }

  /** The socket is gone, whatever way. */
  gone(): void {
    this.state = State.Closed;
    clearTimeout(this.closeTimer);
    this.pending = null;
    this.parts = null;
    this.events.close(this, this.peerCode, this.peerReason);
  }
}
