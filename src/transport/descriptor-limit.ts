import { readFileSync } from "node:fs";

/** The process's limit on open descriptors (`ulimit -n`): soft is what applies, hard how far it may be raised. */
export interface OpenFilesLimit {
  soft: number;
  hard: number;
}

/**
 * Descriptors kept for what is not an open WebSocket: the store's files and threads, database and
 * Redis pools, HTTP requests and event streams, uploads, and the answers to refused handshakes.
 */
export const DESCRIPTOR_RESERVE = 128;

/** "Max open files  1024  524288  files" from Linux's /proc/self/limits; null when absent or unlimited. */
export const parseOpenFilesLimit = (limits: string): OpenFilesLimit | null => {
  const match = /^Max open files\s+(\d+)\s+(\d+|unlimited)/m.exec(limits);
  if (!match) return null;
  const soft = Number(match[1]);
  const hard = match[2] === "unlimited" ? Number.POSITIVE_INFINITY : Number(match[2]);
  return { soft, hard };
};

/** This process's limit; null where /proc is not there (not Linux): no cap is derived from it then. */
export const readOpenFilesLimit = (): OpenFilesLimit | null => {
  try {
    return parseOpenFilesLimit(readFileSync("/proc/self/limits", "utf8"));
  } catch {
    return null;
  }
};

/**
 * The open-connection cap that fits the descriptor limit. Past the limit the kernel would reset
 * new sockets with no word to anyone (Node accepts and closes them); under the cap a handshake
 * past it gets an explained 503 instead, from the reserve. `lowered` when the configured cap
 * (0: none) does not fit.
 */
export const connectionCap = (
  maxConnections: number,
  limit: OpenFilesLimit | null,
): { cap: number; lowered: boolean } => {
  if (!limit) return { cap: maxConnections, lowered: false };
  const room = Math.max(1, limit.soft - DESCRIPTOR_RESERVE);
  if (maxConnections > 0 && maxConnections <= room) return { cap: maxConnections, lowered: false };
  return { cap: room, lowered: true };
};
