import { type BackoffOptions, DEFAULT_BACKOFF } from "./backoff.ts";
import { DEFAULT_PING, type PingOptions } from "./liveness.ts";
import { defaultTimers } from "./socket.ts";
import type { ClientOptions, Timers, WebSocketConstructor } from "./types.ts";

export interface Settings {
  WebSocketClass: WebSocketConstructor;
  timers: Timers;
  random: () => number;
  backoff: BackoffOptions;
  connectTimeout: number;
  ping: PingOptions;
}

/** The client's options with their defaults; throws on ones that cannot work. */
export const settingsOf = (options: ClientOptions): Settings => {
  const WebSocketClass = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (!WebSocketClass) {
    throw new TypeError("No WebSocket here: pass one, e.g. connect(url, { WebSocket }) with WebSocket from 'ws'.");
  }
  const backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
  if (!(backoff.minDelay > 0 && backoff.maxDelay >= backoff.minDelay)) {
    throw new RangeError("backoff needs 0 < minDelay ≤ maxDelay.");
  }
  const ping = { ...DEFAULT_PING, ...options.ping };
  if (!(ping.every > 0 && ping.timeout > 0)) throw new RangeError("ping needs every > 0 and timeout > 0.");
  return {
    WebSocketClass,
    timers: options.timers ?? defaultTimers,
    random: options.random ?? Math.random,
    backoff,
    connectTimeout: options.connectTimeout ?? 10_000,
    ping,
  };
};
