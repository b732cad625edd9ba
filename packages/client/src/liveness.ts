import type { Timers } from "./types.ts";

/** When to ask whether a quiet connection is still there (`ClientOptions.ping`). */
export interface PingOptions {
  /** A check every `every` ms: if nothing came from the server since the last one, a `ping` goes out. */
  every: number;
  /** No frame at all within `timeout` ms of that ping: the connection is taken as lost and redialled. */
  timeout: number;
}

export const DEFAULT_PING: PingOptions = { every: 5_000, timeout: 4_000 };

/**
 * Notices a half-open connection: a socket the browser still calls open while nothing comes through (a laptop
 * that slept, a NAT or proxy that forgot it). WebSocket ping frames are invisible to a page's script, so the
 * client asks with the protocol's own `ping`; any frame from the server counts as an answer. A busy connection
 * costs a clock read per frame and a timer per `every` ms; a quiet one, one ping per `every` ms. A silent one is
 * lost `every` + `timeout` ms after its last frame.
 */
export class Liveness {
  private timer: unknown;
  private lastFrame = 0;
  private count = 0;

  private readonly timers: Timers;
  private readonly options: PingOptions;
  /** Sends a ping with this id; false when there is no open socket. */
  private readonly ping: (id: string) => boolean;
  private readonly lost: (reason: string) => void;

  constructor(timers: Timers, options: PingOptions, ping: (id: string) => boolean, lost: (reason: string) => void) {
    this.timers = timers;
    this.options = options;
    this.ping = ping;
    this.lost = lost;
  }

  /** The socket opened: start watching it. */
  start(): void {
    this.lastFrame = Date.now();
    this.arm(this.options.every, () => this.check());
  }

  /** A frame came from the server. */
  frame(): void {
    this.lastFrame = Date.now();
  }

  /** Asks now (the browser said it went offline or online): lost unless something comes back within `timeout`. */
  probe(): void {
    const asked = Date.now();
    if (!this.ping(`live-${++this.count}`)) return;
    this.arm(this.options.timeout, () => {
      if (this.lastFrame >= asked) this.check();
      else this.lost(`no answer from the server within ${this.options.timeout} ms of a ping`);
    });
  }

  stop(): void {
    this.timers.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private check(): void {
    const quiet = Date.now() - this.lastFrame;
    if (quiet >= this.options.every) this.probe();
    else this.arm(this.options.every - quiet, () => this.check());
  }

  private arm(ms: number, then: () => void): void {
    this.timers.clearTimeout(this.timer);
    this.timer = this.timers.setTimeout(then, ms);
  }
}
