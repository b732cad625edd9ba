import { randomUUID } from "node:crypto";

/**
 * A random UUID as one flat string. Node's `randomUUID` joins it from ~20 pieces, a rope V8 keeps
 * as is: ~490 bytes of rope nodes where the flat string is 56. For an id kept with every message
 * (the memory store holds up to 100,000 a room) that was two thirds of a message's heap, and what
 * each young-generation GC had to copy: its pause (measured in bench/results/profiles.md).
 * `toLowerCase` reads the whole string, so it returns it flattened.
 */
export const flatUuid = (): string => randomUUID().toLowerCase();
