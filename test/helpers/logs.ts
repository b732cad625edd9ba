/** One parsed pino line. */
export type LogLine = Record<string, unknown> & { level: number; msg: string };

/** A pino destination that keeps every line as written (what an operator's log file would hold), and parsed. */
export const captureLogs = () => {
  const raw: string[] = [];
  return {
    stream: { write: (line: string) => void raw.push(line) },
    raw,
    /** A line that is not JSON fails the test. */
    lines: (): LogLine[] => raw.map((line) => JSON.parse(line) as LogLine),
  };
};
