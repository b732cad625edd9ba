/**
 * Server-to-client WebSocket frames (RFC 6455 §5.2), unmasked and unfragmented.
 * Framing once per broadcast, not once per recipient, is where Parley's fan-out speed comes from.
 */
const OPCODE_TEXT = 0x1;
const FIN = 0x80;

/** One complete text frame holding `payload` (UTF-8). */
export const textFrame = (payload: string): Buffer => {
  const length = Buffer.byteLength(payload);
  const headerLength = length < 126 ? 2 : length < 65536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(headerLength + length);
  frame[0] = FIN | OPCODE_TEXT;
  if (length < 126) {
    frame[1] = length;
  } else if (length < 65536) {
    frame[1] = 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 127;
    frame.writeUInt32BE(Math.floor(length / 2 ** 32), 2);
    frame.writeUInt32BE(length >>> 0, 6);
  }
  frame.write(payload, headerLength, "utf8");
  return frame;
};
