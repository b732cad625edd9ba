import type { ParleyServerError } from "./types.ts";

const NICK_ERRORS = new Set(["bad_nick", "nick_taken"]);

export interface NicknameHost {
  /**
   * Sends a `nick` frame if a socket is open; false if not. `reclaiming`: taking the name back on a new
   * connection (with the previous connection's reconnect key), not a rename asked for by the user.
   */
  sendNick(nick: string, reclaiming: boolean): boolean;
  /** Reports a change of the name shown to the user; `interim`: a stand-in while the name held is not ours again yet. */
  changed(nick: string, previous: string | undefined, interim: boolean): void;
  /** Reports a failed claim nobody is awaiting (taking the name back after a reconnect). */
  unclaimed(error: ParleyServerError): void;
}

/**
 * The client's nickname across connections: the one to hold (claimed again on every reconnect, before
 * any join, so presence shows the same person), the one the server has given, and `setNick` requests.
 */
export class Nickname {
  private current: string | undefined;
  /** The name last reported; a reconnect's interim server-given name is not reported while ours is reclaimed. */
  private announced: string | undefined;
  private wanted: string | undefined;
  private pending: { nick: string; resolve(nick: string): void; reject(error: Error): void } | undefined;
  /** Names asked for on this socket, oldest first: the server answers in this order. */
  private requests: string[] = [];

  private readonly host: NicknameHost;

  constructor(host: NicknameHost, initial: string | undefined) {
    this.host = host;
    this.wanted = initial;
  }

  get nick(): string | undefined {
    return this.current;
  }

  set(nick: string): Promise<string> {
    this.pending?.reject(new Error(`Superseded by a request for ${nick}.`));
    const promise = new Promise<string>((resolve, reject) => {
      this.pending = { nick, resolve, reject };
    });
    this.wanted = nick;
    this.ask(nick, false);
    return promise;
  }

  /** A socket opened: claim the name to hold, if there is one. */
  opened(): boolean {
    if (this.wanted !== undefined) this.ask(this.wanted, true);
    return this.requests.length > 0;
  }

  /** No answer about a name is awaited on this socket. */
  get settled(): boolean {
    return this.requests.length === 0;
  }

  /** `signedIn`: the name is the token's, not one to claim again if a later connection is anonymous. */
  welcomed(nick: string, signedIn = false): void {
    if (!signedIn) this.wanted ??= nick;
    this.current = nick;
    if (this.requests.length === 0) this.report(nick);
  }

  /** The server's `nick` event: a request of ours succeeded. */
  granted(nick: string): void {
    this.requests.shift();
    this.wanted = nick;
    this.report(nick);
    if (this.pending?.nick === nick) {
      this.pending.resolve(nick);
      this.pending = undefined;
    }
  }

  /** Handles a nickname error; false if the error is about something else. */
  refused(error: ParleyServerError): boolean {
    // A signed-in user's name is their token's: the server refuses `nick` with `forbidden` (no room).
    const signedIn = error.code === "forbidden" && error.room === undefined && this.requests.length > 0;
    if (!NICK_ERRORS.has(error.code) && !signedIn) return false;
    const asked = this.requests.shift();
    const renaming = this.pending !== undefined && this.pending.nick === asked;
    if (this.current !== undefined) this.report(this.current, !renaming && this.current !== this.wanted);
    if (this.pending && renaming) {
      this.wanted = this.current; // a refused rename: keep the name we have
      this.pending.reject(error);
      this.pending = undefined;
    } else {
      // Taking our name back after a reconnect failed (the old connection may still hold it): the
      // interim name stays for now, and the claim is made again at the next reconnect.
      this.host.unclaimed(error);
    }
    return true;
  }

  /** The socket is gone: answers to what was asked on it will never come. */
  lost(): void {
    this.requests = [];
  }

  fail(error: Error): void {
    this.pending?.reject(error);
    this.pending = undefined;
  }

  private ask(nick: string, reclaiming: boolean): void {
    if (this.host.sendNick(nick, reclaiming)) this.requests.push(nick);
  }

  private report(nick: string, interim = false): void {
    const previous = this.announced;
    this.current = nick;
    this.announced = nick;
    if (previous !== nick) this.host.changed(nick, previous, interim);
  }
}
