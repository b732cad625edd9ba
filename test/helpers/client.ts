import WebSocket from "ws";

export interface TestClient {
  readonly ws: WebSocket;
  /** Every text frame received so far, in order. */
  readonly frames: string[];
  /** The next frame not yet taken by `next`, waiting for it if needed. */
  next(timeoutMs?: number): Promise<string>;
  /** Takes frames until one satisfies `match`, and returns it. */
  nextMatching(match: (frame: string) => boolean, timeoutMs?: number): Promise<string>;
  /** Waits until `count` frames have been received in all. */
  waitForCount(count: number, timeoutMs?: number): Promise<string[]>;
  /** Resolves with the close code and reason. */
  closed: Promise<{ code: number; reason: string }>;
  send(data: string): void;
  close(): Promise<void>;
}

/** Opens a real WebSocket and records what it receives, like crossws's test cursor. */
export const connect = (
  url: string,
  protocol?: string | string[],
  headers?: Record<string, string>,
): Promise<TestClient> =>
  new Promise((resolve, reject) => {
    const ws = protocol ? new WebSocket(url, protocol, { headers }) : new WebSocket(url, { headers });
    const frames: string[] = [];
    let cursor = 0;
    const waiters = new Set<() => void>();
    const wake = () => {
      for (const waiter of [...waiters]) waiter();
    };
    ws.on("message", (data) => {
      frames.push((data as Buffer).toString("utf8"));
      wake();
    });
    const closed = new Promise<{ code: number; reason: string }>((done) => {
      ws.on("close", (code, reason) => {
        wake();
        done({ code, reason: reason.toString() });
      });
    });
    const waitFor = <T>(probe: () => T | undefined, timeoutMs: number, what: string): Promise<T> =>
      new Promise((done, fail) => {
        const check = () => {
          const value = probe();
          if (value === undefined) return false;
          clearTimeout(timer);
          waiters.delete(onWake);
          done(value);
          return true;
        };
        const onWake = () => {
          check();
        };
        const timer = setTimeout(() => {
          waiters.delete(onWake);
          fail(new Error(`timed out waiting for ${what}; got ${JSON.stringify(frames.slice(-5))}`));
        }, timeoutMs);
        if (!check()) waiters.add(onWake);
      });
    const client: TestClient = {
      ws,
      frames,
      closed,
      next: (timeoutMs = 5000) =>
        waitFor(() => (cursor < frames.length ? frames[cursor++] : undefined), timeoutMs, "a frame"),
      nextMatching: (match, timeoutMs = 5000) =>
        waitFor(
          () => {
            while (cursor < frames.length) {
              const frame = frames[cursor++] as string;
              if (match(frame)) return frame;
            }
            return undefined;
          },
          timeoutMs,
          "a matching frame",
        ),
      waitForCount: (count, timeoutMs = 10000) =>
        waitFor(() => (frames.length >= count ? frames.slice(0, count) : undefined), timeoutMs, `${count} frames`),
      send: (data) => ws.send(data),
      close: () => {
        if (ws.readyState === WebSocket.CLOSED) return Promise.resolve();
        ws.close();
        return closed.then(() => {});
      },
    };
    ws.once("open", () => resolve(client));
    ws.once("error", reject);
  });

/** A JSON-protocol client's frames parsed. */
export const parsed = (frames: readonly string[]): Array<Record<string, unknown>> =>
  frames.map((f) => JSON.parse(f) as Record<string, unknown>);
