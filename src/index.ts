/**
 * @module parley
 * Parley as a library: start the chat server from code, or attach it to a `node:http` server you
 * already have. The settings are those of `parley --help`, by their camelCase names. See the README.
 */
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { configFrom } from "./config.ts";
import { startParley as start } from "./server.ts";
import type { ParleyConfig } from "./settings.ts";

export { ConfigError } from "./config.ts";
export type { LogLevel, ParleyConfig } from "./settings.ts";

export interface ParleyOptions extends Partial<ParleyConfig> {
  /**
   * Your HTTP server: Parley answers WebSocket upgrades to `/chat` and `/chat/<room>` on it, leaves other
   * upgrades to your listeners and opens no page port of its own; route requests to `handleRequest` to
   * serve the page too. You listen on it and close it.
   */
  server?: Server;
  /** With `server`: open the Cookbook text port (`wsPort`) too. Without `server` it always opens. */
  textPort?: boolean;
  /** Where JSON log lines go (default stdout). */
  logStream?: { write(line: string): void };
}

/** A running Parley. */
export interface Parley {
  /** The page port (the attached server's, once it listens). */
  readonly port: number;
  /** The Cookbook text port; 0 when none was opened. */
  readonly wsPort: number;
  /** The page, its assets, `/healthz`, `/readyz`, `/metrics` and `/admin`, as a `node:http` request handler. */
  readonly handleRequest: (req: IncomingMessage, res: ServerResponse) => void;
  /** Stops accepting, closes every client with 1001 (they resume elsewhere), flushes the store. */
  close(): Promise<void>;
}

/**
 * Starts Parley: the page and `/chat` on `port` (default 8080), the Cookbook text protocol on `wsPort`
 * (12345), history in SQLite under `dataDir`. Port 0 picks a free one; `port`/`wsPort` on the result say
 * which. Bad options throw a `ConfigError` naming them. `close()` stops it (clients get 1001 and resume).
 */
export const startParley = (options: ParleyOptions = {}): Promise<Parley> => {
  const { server, textPort, logStream, ...settings } = options;
  const config = configFrom(settings);
  return start(config, logStream ? { logStream } : {}, server ? { server, textPort: textPort === true } : {});
};
