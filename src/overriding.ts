/**
 * `inner` with some methods replaced; everything else (present or added to the interface
 * later) passes straight through, bound to `inner`. How the parts are wrapped without touching
 * them: metrics around the store and broker (`service/observed.ts`), file removal on deletes
 * (`files/on-delete.ts`).
 */
export const overriding = <T extends object>(inner: T, overrides: Partial<T>): T => {
  // A Map, not `Object.hasOwn` on every read: that went through V8's runtime on each append and publish.
  const own = new Map<string | symbol, unknown>(Object.entries(overrides));
  // Each method passed through is bound once, not on every read (a join reads `subscribe` and
  // `bounds`): a new bound function per call was garbage on the connect path. Rebound if replaced.
  const bound = new Map<string | symbol, { method: (...args: unknown[]) => unknown; bound: unknown }>();
  return new Proxy(inner, {
    get(target, prop) {
      const override = own.get(prop);
      if (override !== undefined) return override;
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof value !== "function") return value;
      const known = bound.get(prop);
      if (known?.method === value) return known.bound;
      const fresh = value.bind(target);
      bound.set(prop, { method: value as (...args: unknown[]) => unknown, bound: fresh });
      return fresh;
    },
  });
};
