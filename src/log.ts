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

/**
 * One warning per kind of event per window, however many happen: the first at once, then a
 * summary line with how many more there were. A flood (thousands of sockets) is a few lines, not
 * one per socket; `kinds` is a fixed set, so memory stays bounded.
 */
export class LogThrottle {
  private readonly kinds = new Map<string, { until: number; more: number; timer?: NodeJS.Timeout }>();

  private readonly log: Logger;
  private readonly windowMs: number;

  constructor(log: Logger, windowMs = 10_000) {
    this.log = log;
    this.windowMs = windowMs;
  }

  /** `kind` groups the lines (one of a fixed few); `fields` (with its `event`) go in the line, the last ones in the summary. */
  warn(kind: string, fields: Record<string, unknown>, message: string): void {
    this.write("warn", kind, fields, message);
  }

  error(kind: string, fields: Record<string, unknown>, message: string): void {
    this.write("error", kind, fields, message);
  }

  private write(level: "warn" | "error", kind: string, fields: Record<string, unknown>, message: string): void {
    const now = Date.now();
    const state = this.kinds.get(kind) ?? { until: 0, more: 0 };
    this.kinds.set(kind, state);
    if (now >= state.until) {
      state.until = now + this.windowMs;
      this.log[level](fields, message);
      return;
    }
    state.more++;
    state.timer ??= setTimeout(() => {
      state.timer = undefined;
      const more = state.more;
      state.more = 0;
      state.until = Date.now() + this.windowMs;
      this.log[level]({ ...fields, more, seconds: this.windowMs / 1000 }, `${message} (${more} more)`);
    }, state.until - now);
    state.timer.unref();
  }
}
