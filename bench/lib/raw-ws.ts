/**
 * The load generator's WebSocket client: a raw `net` socket, a hand-written client handshake
 * and a minimal frame parser that counts data frames and reads the send timestamp out of the
 * payload. No per-message objects, no UTF-8 decoding unless asked, so one generator core can
 * take more deliveries than any server here can make (shown against the sink server).
 */
import { type Socket, connect as tcpConnect } from "node:net";
import { type Histogram, nowUs } from "./histogram.ts";
import { CID_FIELD, isMessageAck, JsonKind, jsonKind, numberAfter, SEQ_FIELD, TEXT_FIELD } from "./json-frames.ts";

/**
 * `ws`: plain WebSocket text frames. `sio`: Engine.IO v4 / Socket.IO packets inside them.
 * `json`: Parley's JSON v1 (`send` with a `cid`, counting `ack`s); deliveries are `message`,
 * `edit` and `react` events, everything else (welcome, presence, history) is not counted.
 */
export type Dialect = "ws" | "sio" | "json";

/** Shared by all clients of a run: counts every delivered message, samples latency when on. */
export class Recorder {
  delivered = 0;
  closed = 0;
  histogram: Histogram | null = null;
  /** JSON: acks received, and the send-to-ack time when a histogram is set. */
  acked = 0;
  ackHistogram: Histogram | null = null;
  /** JSON: `error` events (a refused edit, a rate limit): counted, and the first one kept to show. */
  errors = 0;
  firstError = "";
  /** JSON: of the deliveries, the `edit` and `react` events. */
  changes = 0;
}

export interface RawClientOptions {
  port: number;
  path: string;
  dialect: Dialect;
  recorder: Recorder;
  /** Asks for this WebSocket subprotocol (Parley's JSON mode: `parley.v1`). */
  protocol?: string;
  /** Read the timestamp of every message this client gets into the recorder's histogram. */
  sampleLatency?: boolean;
  /** Gets every text frame as a string (JSON clients); off for load clients. */
  onText?: (text: string) => void;
  /** JSON: the room this client's edits and reactions name (its URL's room). */
  room?: string;
}

const HEADER_END = Buffer.from("\r\n\r\n");
/** Every client reads into this one buffer; what a read leaves unparsed is copied out. */
const READ_BUFFER = Buffer.allocUnsafe(256 * 1024);
const COLON_SPACE = 0x3a;

/**
 * A masked client frame. The mask key is four zero bytes: legal (RFC 6455 asks for an
 * unpredictable key only to protect proxies), and it makes masking a copy.
 */
export const clientFrame = (payload: string, opcode = 0x1): Buffer => {
  const length = Buffer.byteLength(payload);
  const header = length < 126 ? 6 : length < 65536 ? 8 : 14;
  const frame = Buffer.alloc(header + length);
  frame[0] = 0x80 | opcode;
  if (length < 126) frame[1] = 0x80 | length;
  else if (length < 65536) {
    frame[1] = 0x80 | 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 0x80 | 127;
    frame.writeUInt32BE(Math.floor(length / 2 ** 32), 2);
    frame.writeUInt32BE(length >>> 0, 6);
  }
  frame.write(payload, header, "utf8");
  return frame;
};

export class RawClient {
  readonly socket: Socket;
  /** Data messages this client got (Socket.IO: `42` event packets only). */
  received = 0;
  open = false;
  closed = false;
  readonly ready: Promise<void>;
  private rest: Buffer | null = null;
  private upgraded = false;
  /** JSON: sends so far (a part of each `cid`), and the seq of this client's last acked message. */
  private sends = 0;
  private lastOwnSeq = -1;
  /** Frames of the current burst, while held (see `hold`). */
  private held: Buffer[] | null = null;
  private settle: { resolve: () => void; reject: (e: Error) => void } | undefined;

  private readonly options: RawClientOptions;

  constructor(options: RawClientOptions) {
    this.options = options;
    this.ready = new Promise((resolve, reject) => {
      this.settle = { resolve, reject };
    });
    // `onread` reads into one shared buffer and skips the stream machinery: no Buffer and no
    // 'data' event per read, which is most of a client's cost when a server writes often.
    this.socket = tcpConnect({
      host: "127.0.0.1",
      port: options.port,
      onread: {
        buffer: READ_BUFFER,
        callback: (n: number, buf: Uint8Array) => {
          this.onData(buf as Buffer, n);
          return true;
        },
      },
    });
    this.socket.setNoDelay(true);
    this.socket.on("connect", () => {
      const protocol = options.protocol ? `Sec-WebSocket-Protocol: ${options.protocol}\r\n` : "";
      this.socket.write(
        `GET ${options.path} HTTP/1.1\r\nHost: 127.0.0.1:${options.port}\r\nUpgrade: websocket\r\n` +
          `Connection: Upgrade\r\nSec-WebSocket-Key: cGFybGV5LWJlbmNoLWtleQ==\r\nSec-WebSocket-Version: 13\r\n${protocol}\r\n`,
      );
    });
    this.socket.on("error", (error) => this.fail(error));
    this.socket.on("close", () => {
      if (!this.closed && this.open) options.recorder.closed++;
      this.closed = true;
      this.fail(new Error("connection closed before it was ready"));
    });
  }

  /** Sends one chat line (Socket.IO: as the `msg` event; JSON: a `send` whose `cid` starts with the send time). */
  say(text: string): void {
    const dialect = this.options.dialect;
    if (dialect === "json") {
      this.send(clientFrame(`{"type":"send","text":${JSON.stringify(text)},"cid":"${this.cid("s")}"}`));
      return;
    }
    this.send(clientFrame(dialect === "sio" ? `42["msg",${JSON.stringify(text)}]` : text));
  }

  /** JSON: edits this client's last acked message to `text` (a plain send until one is acked). */
  edit(text: string): void {
    if (this.lastOwnSeq < 0) {
      this.say(text);
      return;
    }
    this.send(
      clientFrame(
        `{"type":"edit","room":${JSON.stringify(this.options.room ?? "")},"seq":${this.lastOwnSeq},"text":${JSON.stringify(text)},"cid":"${this.cid("e")}"}`,
      ),
    );
  }

  /** JSON: toggles a 👍 on this client's last acked message (a plain send until one is acked). */
  react(text: string): void {
    if (this.lastOwnSeq < 0) {
      this.say(text);
      return;
    }
    this.send(
      clientFrame(
        `{"type":"react","room":${JSON.stringify(this.options.room ?? "")},"seq":${this.lastOwnSeq},"emoji":"👍","cid":"${this.cid("r")}"}`,
      ),
    );
  }

  /** `<send time µs>-<s|e|r><n>`: the ack's latency and whether it was a message's are read back from it. */
  private cid(kind: "s" | "e" | "r"): string {
    return `${Math.round(nowUs())}-${kind}${this.sends++}`;
  }

  sendRaw(frame: Buffer): void {
    this.socket.write(frame);
  }

  /**
   * Holds this client's sends until `release`, which writes them as one buffer: the generator's
   * timer sends a burst per tick, and a write call per sender and tick instead of one per message
   * takes about a third off the generator's CPU per send in the one-room fan-out (the same bytes
   * reach the server, in fewer TCP segments).
   */
  hold(): void {
    this.held ??= [];
  }

  release(): void {
    const held = this.held;
    this.held = null;
    if (!held || held.length === 0 || this.closed) return;
    this.socket.write(held.length === 1 ? (held[0] as Buffer) : Buffer.concat(held));
  }

  get holding(): boolean {
    return this.held !== null;
  }

  private send(frame: Buffer): void {
    if (this.held) this.held.push(frame);
    else this.socket.write(frame);
  }

  destroy(): void {
    this.closed = true;
    this.socket.destroy();
  }

  private fail(error: Error): void {
    if (!this.settle) return;
    this.settle.reject(error);
    this.settle = undefined;
  }

  private becomeReady(): void {
    this.open = true;
    this.settle?.resolve();
    this.settle = undefined;
  }

  private onData(shared: Buffer, bytes: number): void {
    // The common case reads frames straight out of the shared buffer: no Buffer per read.
    let buf = shared;
    let n = bytes;
    if (this.rest) {
      buf = Buffer.concat([this.rest, shared.subarray(0, bytes)]);
      n = buf.length;
      this.rest = null;
    }
    if (!this.upgraded) {
      buf = buf.subarray(0, n);
      const end = buf.indexOf(HEADER_END);
      if (end === -1) {
        this.rest = Buffer.from(buf);
        return;
      }
      if (!buf.toString("latin1", 0, 12).startsWith("HTTP/1.1 101")) {
        this.fail(new Error(`handshake refused: ${buf.toString("latin1", 0, end).split("\r\n")[0]}`));
        this.socket.destroy();
        return;
      }
      this.upgraded = true;
      buf = buf.subarray(end + 4);
      n = buf.length;
      if (this.options.dialect !== "sio") this.becomeReady();
    }
    // Everything in one chunk arrived at the same moment: one clock read per chunk.
    const now = this.options.sampleLatency ? nowUs() : 0;
    let off = 0;
    while (off + 2 <= n) {
      const b1 = (buf[off + 1] as number) & 0x7f;
      let length = b1;
      let header = 2;
      if (b1 === 126) {
        if (off + 4 > n) break;
        length = buf.readUInt16BE(off + 2);
        header = 4;
      } else if (b1 === 127) {
        if (off + 10 > n) break;
        length = buf.readUInt32BE(off + 2) * 2 ** 32 + buf.readUInt32BE(off + 6);
        header = 10;
      }
      const end = off + header + length;
      if (end > n) break;
      this.onFrame((buf[off] as number) & 0x0f, buf, off + header, end, now);
      off = end;
    }
    if (off < n) this.rest = Buffer.from(buf.subarray(off, n));
  }

  private onFrame(opcode: number, buf: Buffer, start: number, end: number, now: number): void {
    if (opcode === 0x1) {
      if (this.options.dialect === "sio") {
        const first = buf[start];
        const second = end - start > 1 ? buf[start + 1] : -1;
        if (first === 0x34 && second === 0x32) {
          this.message(buf, start, end, now); // 42[...] event
        } else if (first === 0x30) {
          this.socket.write(clientFrame("40")); // Engine.IO open: connect to the main namespace
        } else if (first === 0x34 && second === 0x30) {
          this.becomeReady(); // Socket.IO connect ack
        } else if (first === 0x32) {
          this.socket.write(clientFrame("3")); // Engine.IO ping → pong
        }
        return;
      }
      this.message(buf, start, end, now);
    } else if (opcode === 0x9) {
      this.socket.write(clientFrame(buf.toString("latin1", start, end), 0xa));
    } else if (opcode === 0x8) {
      this.socket.end();
    }
  }

  private message(buf: Buffer, start: number, end: number, now: number): void {
    if (this.options.dialect === "json") {
      this.jsonEvent(buf, start, end, now);
      return;
    }
    this.received++;
    const recorder = this.options.recorder;
    recorder.delivered++;
    if (this.options.onText) this.options.onText(buf.toString("utf8", start, end));
    if (!this.options.sampleLatency || !recorder.histogram) return;
    // Payloads read "<nick>: <send time in µs> …": the digits after the first ": ".
    for (let i = start; i < end - 1; i++) {
      if (buf[i] === COLON_SPACE && buf[i + 1] === 0x20) {
        let sentUs = 0;
        for (let j = i + 2; j < end; j++) {
          const d = (buf[j] as number) - 0x30;
          if (d < 0 || d > 9) break;
          sentUs = sentUs * 10 + d;
        }
        if (sentUs > 0) recorder.histogram.record(now - sentUs);
        return;
      }
    }
  }

  private jsonEvent(buf: Buffer, start: number, end: number, now: number): void {
    const recorder = this.options.recorder;
    if (this.options.onText) this.options.onText(buf.toString("utf8", start, end));
    const kind = jsonKind(buf, start, end);
    if (kind === JsonKind.Message || kind === JsonKind.Edit || kind === JsonKind.React) {
      this.received++;
      recorder.delivered++;
      if (kind !== JsonKind.Message) recorder.changes++;
      // Latency is the plain messages' (an edit's or reaction's event carries other times), so a
      // run with changes mixed in says whether messages got slower.
      if (kind !== JsonKind.Message || !this.options.sampleLatency || !recorder.histogram) return;
      const sentUs = numberAfter(buf, start, end, TEXT_FIELD);
      if (sentUs > 0) recorder.histogram.record(now - sentUs);
    } else if (kind === JsonKind.Ack) {
      recorder.acked++;
      // Only a message's ack names a message this client may edit (a change's seq is the change's).
      if (isMessageAck(buf, start, end)) {
        const seq = numberAfter(buf, start, end, SEQ_FIELD);
        if (seq >= 0) this.lastOwnSeq = seq;
      }
      if (!recorder.ackHistogram) return;
      const sentUs = numberAfter(buf, start, end, CID_FIELD);
      if (sentUs > 0) recorder.ackHistogram.record((now || nowUs()) - sentUs);
    } else if (kind === JsonKind.Error) {
      recorder.errors++;
      if (!recorder.firstError) recorder.firstError = buf.toString("utf8", start, Math.min(end, start + 300));
    }
  }
}
