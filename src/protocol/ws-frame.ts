/**
 * Server-to-client WebSocket frames (RFC 6455 §5.2), unmasked and unfragmented.
 * Framing once per broadcast, not once per recipient, is where Parley's fan-out speed comes from.
 */
const OPCODE_TEXT = 0x1;
const FIN = 0x80;

const headerLengthOf = (length: number): number => (length < 126 ? 2 : length < 65536 ? 4 : 10);

/** Writes one frame's header and payload at `at` in `target`; returns where the next frame goes. */
const writeFrame = (target: Buffer, at: number, payload: string, length: number): number => {
  target[at] = FIN | OPCODE_TEXT;
  if (length < 126) {
    target[at + 1] = length;
  } else if (length < 65536) {
    target[at + 1] = 126;
    target.writeUInt16BE(length, at + 2);
  } else {
    target[at + 1] = 127;
    target.writeUInt32BE(Math.floor(length / 2 ** 32), at + 2);
    target.writeUInt32BE(length >>> 0, at + 6);
  }
  const start = at + headerLengthOf(length);
  return start + target.write(payload, start, "utf8");
};

/** One complete text frame holding `payload` (UTF-8). */
export const textFrame = (payload: string): Buffer => {
  const length = Buffer.byteLength(payload);
  const frame = Buffer.allocUnsafe(headerLengthOf(length) + length);
  writeFrame(frame, 0, payload, length);
  return frame;
};

/** Several text frames back to back in one buffer (one allocation, no concat). */
export const textFrames = (payloads: readonly string[]): Buffer => {
  if (payloads.length === 1) return textFrame(payloads[0] as string);
  const lengths = payloads.map((payload) => Buffer.byteLength(payload));
  let total = 0;
  for (const length of lengths) total += headerLengthOf(length) + length;
  const frames = Buffer.allocUnsafe(total);
  let at = 0;
  for (let i = 0; i < payloads.length; i++) at = writeFrame(frames, at, payloads[i] as string, lengths[i] as number);
  return frames;
};

/**
 * One text frame whose payload is `pieces` joined, written piece by piece: a big reply
 * (a history part) never exists as one big string, which V8 would keep in its large-object
 * space until a full collection, a pause the whole server waits for.
 */
export const textFrameOfPieces = (pieces: readonly string[]): Buffer => {
  let length = 0;
  for (const piece of pieces) length += Buffer.byteLength(piece);
  const frame = Buffer.allocUnsafe(headerLengthOf(length) + length);
  let at = writeFrame(frame, 0, "", length);
  for (const piece of pieces) at += frame.write(piece, at, "utf8");
  return frame;
};
