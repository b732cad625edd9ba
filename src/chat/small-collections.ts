/**
 * Set and Map for the few entries a connection holds (its rooms, its room subscriptions).
 * A `Set` or `Map` starts with a hash table of about 120 to 150 bytes even for one entry;
 * these keep entries in an exactly sized array (about 50 bytes for one), which is what
 * lets 10,000 idle connections cost no more than a bare `ws` server's. Lookups are linear:
 * right for the handful of rooms a connection is in (bounded by `maxRooms`).
 */
export class SmallSet<T> implements Iterable<T> {
  private items: T[] | null = null;

  get size(): number {
    return this.items === null ? 0 : this.items.length;
  }

  has(item: T): boolean {
    return this.items?.includes(item) ?? false;
  }

  add(item: T): this {
    if (this.items === null) this.items = [item];
    else if (!this.items.includes(item)) this.items.push(item);
    return this;
  }

  delete(item: T): boolean {
    const i = this.items === null ? -1 : this.items.indexOf(item);
    if (i < 0) return false;
    if (this.items?.length === 1) this.items = null;
    else this.items?.splice(i, 1);
    return true;
  }

  [Symbol.iterator](): Iterator<T> {
    // A copy: like a Set, deleting while iterating must not skip the next entry.
    return (this.items === null ? [] : [...this.items])[Symbol.iterator]();
  }
}

/** Keys and values side by side in one array: `[k0, v0, k1, v1, …]`. */
export class SmallMap<K, V> implements Iterable<[K, V]> {
  private entries: Array<K | V> | null = null;

  get size(): number {
    return this.entries === null ? 0 : this.entries.length / 2;
  }

  private indexOf(key: K): number {
    const entries = this.entries;
    if (entries === null) return -1;
    for (let i = 0; i < entries.length; i += 2) if (entries[i] === key) return i;
    return -1;
  }

  get(key: K): V | undefined {
    const i = this.indexOf(key);
    return i < 0 ? undefined : (this.entries?.[i + 1] as V);
  }

  has(key: K): boolean {
    return this.indexOf(key) >= 0;
  }

  set(key: K, value: V): this {
    const i = this.indexOf(key);
    if (i >= 0) (this.entries as Array<K | V>)[i + 1] = value;
    else if (this.entries === null) this.entries = [key, value];
    else this.entries.push(key, value);
    return this;
  }

  delete(key: K): boolean {
    const i = this.indexOf(key);
    if (i < 0) return false;
    if (this.entries?.length === 2) this.entries = null;
    else this.entries?.splice(i, 2);
    return true;
  }

  clear(): void {
    this.entries = null;
  }

  [Symbol.iterator](): Iterator<[K, V]> {
    const pairs: Array<[K, V]> = [];
    const entries = this.entries ?? [];
    for (let i = 0; i < entries.length; i += 2) pairs.push([entries[i] as K, entries[i + 1] as V]);
    return pairs[Symbol.iterator]();
  }
}
