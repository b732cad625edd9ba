/** How much each API key was used on this node since it started (shown by `GET /admin/api/keys`). */
export class KeyUse {
  private readonly byKey = new Map<string, { requests: number; lastUsedAt: number }>();

  private readonly now: () => number;

  constructor(now: () => number = Date.now) {
    this.now = now;
  }

  record(keyId: string): void {
    const use = this.byKey.get(keyId);
    if (use) {
      use.requests++;
      use.lastUsedAt = this.now();
    } else {
      // One entry per key an administrator made: bounded by them, not by callers.
      this.byKey.set(keyId, { requests: 1, lastUsedAt: this.now() });
    }
  }

  of(keyId: string): { requests: number; lastUsedAt: number | null } {
    return this.byKey.get(keyId) ?? { requests: 0, lastUsedAt: null };
  }
}
