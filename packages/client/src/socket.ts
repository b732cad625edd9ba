import { AUTOJOIN_PARAM } from "./protocol.ts";
import type { Timers } from "./types.ts";

/** The part of a WebSocket the client uses (browsers' and `ws`'s both have it). */
export interface SocketLike {
  readonly readyState: number;
  readonly protocol: string;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(
    type: string,
    listener: (event: { data?: unknown; code?: number; reason?: string; message?: unknown }) => void,
  ): void;
}

/** `WebSocket.OPEN`, the same everywhere. */
export const OPEN = 1;

export const defaultTimers: Timers = {
  setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as Parameters<typeof globalThis.clearTimeout>[0]),
};

/** The URL the client dials: the given one, told not to auto-join its path's room (the client joins explicitly). */
export const dialUrl = (url: string): string => {
  const parsed = new URL(url);
  parsed.searchParams.set(AUTOJOIN_PARAM, "0");
  return parsed.toString();
};

/** The HTTP status of a refused handshake, from an `error` event of Node's `ws` ("Unexpected server response: 401"). */
export const handshakeStatus = (event: { message?: unknown }): number | undefined => {
  const found = typeof event.message === "string" ? /Unexpected server response: (\d{3})/.exec(event.message) : null;
  return found ? Number(found[1]) : undefined;
};
