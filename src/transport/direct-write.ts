import { createRequire } from "node:module";
import type { Socket } from "node:net";

/**
 * Writes beneath net.Socket (native/fastwrite.c): a frame for a socket with nothing pending in
 * Node goes to the kernel in one send(2), without the stream's per-write request and tick. The
 * addon is optional: built at install when a compiler is there, else Parley writes through
 * net.Socket as before ("stream"). `--write-path stream` asks for that path whatever is built.
 */

/** send(2) on `fd`: the bytes the kernel took (maybe fewer), or -errno; never blocks. */
export type DirectSend = (fd: number, data: Buffer) => number;

export type WritePath = "direct" | "stream";

export interface WriteChoice {
  path: WritePath;
  /** Set when path is "direct". */
  send: DirectSend | null;
  /** Why the stream path is used, when it is. */
  why?: string;
}

/** The same relative path from src/transport/ (sources) and dist/transport/ (the installed package). */
const ADDON = "../../build/Release/parley_fastwrite.node";

/** Loads the addon unless `wanted` is "stream"; any failure to load means the stream path. */
export const chooseWritePath = (wanted: "auto" | "stream"): WriteChoice => {
  if (wanted === "stream") return { path: "stream", send: null, why: "asked for" };
  if (process.platform !== "linux") return { path: "stream", send: null, why: `not on ${process.platform}` };
  try {
    const addon = createRequire(import.meta.url)(ADDON) as { send?: unknown };
    if (typeof addon.send !== "function") return { path: "stream", send: null, why: "addon without send" };
    return { path: "direct", send: addon.send as DirectSend };
  } catch (error) {
    return { path: "stream", send: null, why: `addon not loaded: ${(error as Error).message.split("\n")[0]}` };
  }
};

/** net.Socket's internals read here, and only here. */
interface SocketInternals {
  encrypted?: boolean;
  _handle?: { fd?: number; constructor: { name: string } } | null;
}

/**
 * The socket's descriptor when frames may be sent to it directly: a plain TCP socket (not TLS,
 * not a pipe) with a descriptor; else -1.
 */
export const directFd = (socket: Socket): number => {
  const internals = socket as unknown as SocketInternals;
  const handle = internals._handle;
  if (internals.encrypted === true || !handle || handle.constructor.name !== "TCP") return -1;
  const fd = handle.fd;
  return typeof fd === "number" && fd >= 0 ? fd : -1;
};
