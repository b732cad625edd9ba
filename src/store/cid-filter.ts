/**
 * A Bloom filter of the `room\0cid` keys a store holds: "certainly not there" without a query, so
 * a new cid (nearly every one) costs no index probe on the main thread; a "maybe" is asked of the
 * index. It never forgets a key (a deleted message's cid only costs a probe), so it is never
 * wrong in the direction that matters. 10 bits and 7 hashes per expected key (~1% false
 * positives), at most 2^26 bits (8 MiB): past that, more probes, still right answers.
 */
const BITS_PER_KEY = 10;
const HASHES = 7;
const MIN_BITS = 1 << 16;
const MAX_BITS = 1 << 26;

export class CidFilter {
  private readonly bits: Uint32Array;
  private readonly mask: number;

  constructor(expectedKeys: number) {
    let size = MIN_BITS;
    while (size < expectedKeys * BITS_PER_KEY * 2 && size < MAX_BITS) size *= 2; // room to grow
    this.bits = new Uint32Array(size / 32);
    this.mask = size - 1;
  }

  add(key: string): void {
    let [h1, h2] = hashes(key);
    for (let i = 0; i < HASHES; i++) {
      const bit = h1 & this.mask;
      this.bits[bit >>> 5] = (this.bits[bit >>> 5] as number) | (1 << (bit & 31));
      h1 = (h1 + h2) >>> 0;
    }
  }

  mightHave(key: string): boolean {
    let [h1, h2] = hashes(key);
    for (let i = 0; i < HASHES; i++) {
      const bit = h1 & this.mask;
      if (((this.bits[bit >>> 5] as number) & (1 << (bit & 31))) === 0) return false;
      h1 = (h1 + h2) >>> 0;
    }
    return true;
  }
}

/** Two 32-bit FNV-1a hashes (different offsets) for double hashing; the second is odd. */
const hashes = (key: string): [number, number] => {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ 0x5bd1e995;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 15;
  }
  return [a >>> 0, (b | 1) >>> 0];
};
