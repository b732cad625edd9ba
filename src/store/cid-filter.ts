import type Database from "better-sqlite3";

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

/**
 * Every `room\0cid` the SQLite file holds or its store wrote since: a new cid is known new without
 * a query. The file's cids are read from the (room, cid) index a slice per turn (~3-4 s per million
 * here, too long to hold the start); until that is done, no cid is certainly new.
 */
export class KnownCids {
  private readonly filter: CidFilter;
  private loaded = false;

  constructor(db: Database.Database) {
    const count =
      db.prepare<[], { n: number }>("SELECT count(*) AS n FROM messages WHERE cid IS NOT NULL").get()?.n ?? 0;
    this.filter = new CidFilter(count);
    const slice = db
      .prepare<[string, string], [string, string]>(
        "SELECT room, cid FROM messages WHERE cid IS NOT NULL AND (room, cid) >= (?, ?) ORDER BY room, cid LIMIT 4096",
      )
      .raw();
    let from: [string, string] = ["", ""];
    const step = () => {
      if (!db.open) return;
      const rows = slice.all(...from);
      for (const [room, cid] of rows) this.filter.add(`${room}\u0000${cid}`);
      const last = rows.at(-1);
      if (last === undefined || rows.length < 4096) {
        this.loaded = true;
        return;
      }
      from = last;
      setTimeout(step, 0).unref();
    };
    step();
  }

  /** A key this store is about to write; kept if the commit fails (a needless probe later, never a missed repeat). */
  add(key: string): void {
    this.filter.add(key);
  }

  certainlyNew(key: string): boolean {
    return this.loaded && !this.filter.mightHave(key);
  }
}
