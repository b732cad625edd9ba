import { type DestinationStream, type Logger, pino } from "pino";
import type { LogLevel } from "./settings.ts";

export type { Logger };

/**
 * Parley's structured log: one JSON object per line on stdout (or `destination`).
 * What goes in it is decided by the callers; the rule they keep: no message text at info.
 */
export const createLogger = (level: LogLevel, destination?: DestinationStream): Logger =>
  pino(
    {
      level,
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      // The admin token never reaches a log, whatever object carries it.
      redact: { paths: ["adminToken", "*.adminToken", "headers.authorization"], censor: "[redacted]" },
    },
    destination,
  );
