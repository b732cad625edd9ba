import { randomFillSync } from "node:crypto";

/**
 * A random (version 4) UUID as one flat string. Node's `randomUUID` joins it from ~20 pieces, a
 * rope V8 keeps as is: ~490 bytes of rope nodes where the flat string is 56. For an id kept with
 * every message (the memory store holds up to 100,000 a room) that was two thirds of a message's
 * heap, and what each young-generation GC had to copy: its pause (measured in
 * bench/results/profiles.md). Written as 36 ASCII bytes and read as one string: one allocation,
 * about half the CPU of `randomUUID().toLowerCase()` (one id per message on the send path).
 */
export const flatUuid = (): string => {
  if (poolAt === POOL_BYTES) {
    randomFillSync(pool);
    poolAt = 0;
  }
  let at = 0;
  for (let i = 0; i < 16; i++) {
    let byte = pool[poolAt + i] as number;
    // the version (4) and the RFC 4122 variant bits
    if (i === 6) byte = (byte & 0x0f) | 0x40;
    else if (i === 8) byte = (byte & 0x3f) | 0x80;
    if (i === 4 || i === 6 || i === 8 || i === 10) text[at++] = 0x2d; // "-"
    text[at++] = HEX[byte >> 4] as number;
    text[at++] = HEX[byte & 0x0f] as number;
  }
  poolAt += 16;
  return text.toString("latin1", 0, 36);
};

const HEX = Buffer.from("0123456789abcdef", "latin1");
/** Random bytes for 256 ids, refilled from the CSPRNG when used up (as `randomUUID` keeps its own cache). */
const POOL_BYTES = 256 * 16;
const pool = Buffer.allocUnsafe(POOL_BYTES);
let poolAt = POOL_BYTES;
const text = Buffer.allocUnsafe(36);
