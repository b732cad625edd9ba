import { SUBPROTOCOL_JSON } from "./protocol.ts";
import type { AuthChange, Timers } from "./types.ts";
import type { AuthUser } from "./wire.ts";

/** The token rides in the subprotocol list, next to `parley.v1`: browsers cannot set headers on a WebSocket. */
export const TOKEN_PROTOCOL_PREFIX = "parley.token.";

/** Refresh this long before `exp`: 30 s, or a tenth of the token's lifetime when that is shorter. */
export const REFRESH_MARGIN_MS = 30_000;

export type GetToken = () => string | Promise<string>;

const base64UrlDecode = (text: string): string => {
  const base64 = text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4);
  const binary = atob(base64);
  return new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
};

/**
 * A JWT's `exp` (seconds), read without verifying it: the server verifies, the client only needs to
 * know when to ask for a fresh one. Undefined for anything that is not a JWT with a numeric `exp`.
 */
export const tokenExpiry = (token: string): number | undefined => {
  const payload = token.split(".")[1];
  if (!payload) return undefined;
  try {
    const claims: unknown = JSON.parse(base64UrlDecode(payload));
    const exp = typeof claims === "object" && claims !== null ? (claims as { exp?: unknown }).exp : undefined;
    return typeof exp === "number" && Number.isFinite(exp) ? exp : undefined;
  } catch {
    return undefined;
  }
};

/** Milliseconds from `now` until the refresh of a token valid until `exp` (s) that was obtained at `obtainedAt` (ms). */
export const refreshDelay = (exp: number, obtainedAt: number, now: number): number => {
  const lifetime = Math.max(0, exp * 1000 - obtainedAt);
  const margin = Math.min(REFRESH_MARGIN_MS, lifetime / 10);
  return Math.max(0, exp * 1000 - margin - now);
};

export interface TokenHost {
  /** Sends `{"type":"auth","token"}` on the open socket; false when there is none. */
  sendAuth(token: string): boolean;
  changed(change: AuthChange): void;
  timers: Timers;
  now(): number;
}

const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/**
 * The client's token: asked of `getToken()` before every connection, and again a margin before it
 * expires, to be sent on the open connection (no reconnect). A refused or missed refresh ends in the
 * server's 4005 close; the client then dials again at once, with a fresh token.
 */
export class TokenKeeper {
  private token = "";
  private exp: number | undefined;
  private obtainedAt = 0;
  private timer: unknown;
  /** Bumped on every connection change, so a slow `getToken()` cannot act on a later connection. */
  private generation = 0;
  private signedIn: AuthUser | undefined;

  private readonly getToken: GetToken | undefined;
  private readonly host: TokenHost;

  constructor(getToken: GetToken | undefined, host: TokenHost) {
    this.getToken = getToken;
    this.host = host;
  }

  /** The signed-in user of the current connection, from its `welcome`. */
  get user(): AuthUser | undefined {
    return this.signedIn;
  }

  /** True when the connection being made (or open) offered a token. */
  get offered(): boolean {
    return this.token !== "";
  }

  /**
   * Calls `ready` with the subprotocols for the next dial, after asking `getToken()` (an empty string: connect
   * anonymously), or `failed` when `getToken()` fails (the client then backs off as for a failed connection).
   * Without `getToken`, `ready` is called at once (no promise in between): anonymous, exactly as before.
   */
  protocols(ready: (protocols: string[]) => void, failed: (reason: string) => void): void {
    this.lost();
    if (!this.getToken) ready([SUBPROTOCOL_JSON]);
    else this.fetchProtocols(this.getToken).then(ready, (error: unknown) => failed(`no token: ${message(error)}`));
  }

  private async fetchProtocols(getToken: GetToken): Promise<string[]> {
    let token: string;
    try {
      token = await getToken();
    } catch (error) {
      this.token = "";
      this.host.changed({ state: "signed-out", reason: `getToken() failed: ${message(error)}` });
      throw error;
    }
    if (typeof token !== "string") throw new TypeError("getToken() must return a string (empty: anonymous).");
    this.take(token);
    if (token === "") return [SUBPROTOCOL_JSON];
    if (this.exp !== undefined && this.exp * 1000 <= this.host.now()) {
      // Sent anyway (the server's clock decides), but the app can already tell the user.
      this.host.changed({ state: "signed-out", reason: "getToken() returned an expired token" });
    }
    return [SUBPROTOCOL_JSON, `${TOKEN_PROTOCOL_PREFIX}${token}`];
  }

  /** The handshake with a token was refused; `status` when the WebSocket tells it (Node's `ws`; browsers do not). */
  handshakeFailed(status: number | undefined): void {
    if (!this.offered) return;
    if (status === 401 || status === 403) {
      const why = status === 401 ? "the token was refused" : "the token does not grant this room";
      this.host.changed({ state: "signed-out", reason: `${why} (HTTP ${status})`, status });
    }
  }

  /** `welcome`: signed in (with `user`) or anonymous. */
  welcomed(user: AuthUser | undefined): void {
    this.signedIn = user;
    if (!user) return;
    this.exp = user.exp;
    this.host.changed({ state: "signed-in", user, exp: user.exp });
    this.schedule();
  }

  /** The server took a refreshed token. */
  refreshed(exp: number): void {
    this.exp = exp;
    if (this.signedIn) this.signedIn = { ...this.signedIn, exp };
    this.host.changed({ state: "refreshed", exp, ...(this.signedIn ? { user: this.signedIn } : {}) });
    this.schedule();
  }

  /** The server refused a refresh (`unauthorized`); the old token holds until its `exp`, then 4005. */
  refreshRefused(reason: string): void {
    this.host.changed({ state: "refresh-failed", reason });
  }

  /** The connection is gone: nothing to refresh on it. */
  lost(): void {
    this.generation++;
    this.host.timers.clearTimeout(this.timer);
    this.timer = undefined;
    this.signedIn = undefined;
  }

  private take(token: string): void {
    this.token = token;
    this.exp = token === "" ? undefined : tokenExpiry(token);
    this.obtainedAt = this.host.now();
  }

  private schedule(): void {
    this.host.timers.clearTimeout(this.timer);
    if (this.exp === undefined || !this.getToken) return;
    const delay = refreshDelay(this.exp, this.obtainedAt, this.host.now());
    const generation = this.generation;
    this.timer = this.host.timers.setTimeout(() => void this.refresh(generation), delay);
  }

  private async refresh(generation: number): Promise<void> {
    if (!this.getToken || generation !== this.generation) return;
    let token: string;
    try {
      token = await this.getToken();
    } catch (error) {
      if (generation !== this.generation) return;
      this.host.changed({ state: "refresh-failed", reason: `getToken() failed: ${message(error)}` });
      this.retryLater(generation);
      return;
    }
    if (generation !== this.generation) return;
    const exp = typeof token === "string" && token !== "" ? tokenExpiry(token) : undefined;
    if (exp === undefined || (this.exp !== undefined && exp <= this.exp)) {
      // Nothing fresher yet (e.g. the app's cache): ask again while there is time, else the server's 4005 will do.
      this.retryLater(generation);
      return;
    }
    this.take(token);
    this.host.sendAuth(token);
  }

  private retryLater(generation: number): void {
    if (this.exp === undefined) return;
    const left = this.exp * 1000 - this.host.now();
    if (left <= 2000) return;
    this.timer = this.host.timers.setTimeout(() => void this.refresh(generation), Math.max(1000, left / 2));
  }
}
