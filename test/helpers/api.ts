import type { Claims } from "./tokens.ts";

export const ADMIN_TOKEN = "admin-token-for-tests-0123456789";

export interface ApiAnswer {
  status: number;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: test reads arbitrary JSON answers
  body: any;
}

/** One HTTP request to Parley's page port, the answer read as JSON (problem documents too). */
export const call = async (
  port: number,
  method: string,
  path: string,
  options: { auth?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<ApiAnswer> => {
  const headers: Record<string, string> = { ...options.headers };
  if (options.auth) headers.Authorization = `Bearer ${options.auth}`;
  if (options.body !== undefined) headers["Content-Type"] ??= "application/json";
  const response = await fetch(`http://127.0.0.1:${port}${path}`, {
    method,
    headers,
    body:
      options.body === undefined
        ? undefined
        : typeof options.body === "string"
          ? options.body
          : JSON.stringify(options.body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text === "" ? undefined : JSON.parse(text) };
};

/** A new API key made through the admin API; resolves with its secret and id. */
export const createKey = async (
  port: number,
  key: { name: string; rooms: string[]; rights: string[] },
): Promise<{ secret: string; id: string }> => {
  const answer = await call(port, "POST", "/admin/api/keys", { auth: ADMIN_TOKEN, body: key });
  if (answer.status !== 201) throw new Error(`key not created: ${answer.status} ${JSON.stringify(answer.body)}`);
  return { secret: answer.body.secret, id: answer.body.id };
};

export interface SseEvent {
  event: string;
  id: string | undefined;
  data: string;
}

/** An open `text/event-stream`, read with fetch and parsed as the EventSource spec says (enough of it). */
export class SseReader {
  readonly events: SseEvent[] = [];
  comments = 0;
  private buffer = "";
  private waiters: Array<() => void> = [];
  ended = false;

  readonly response: Response;
  private readonly abort: AbortController;

  private constructor(response: Response, abort: AbortController) {
    this.response = response;
    this.abort = abort;
    void this.read();
  }

  static async open(url: string, headers: Record<string, string> = {}): Promise<SseReader> {
    const abort = new AbortController();
    const response = await fetch(url, { headers, signal: abort.signal });
    return new SseReader(response, abort);
  }

  private async read(): Promise<void> {
    const body = this.response.body;
    if (!body) return;
    const decoder = new TextDecoder();
    try {
      const reader = body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        this.buffer += decoder.decode(value, { stream: true });
        let end = this.buffer.indexOf("\n\n");
        while (end >= 0) {
          this.parse(this.buffer.slice(0, end));
          this.buffer = this.buffer.slice(end + 2);
          end = this.buffer.indexOf("\n\n");
        }
        this.notify();
      }
    } catch {
      // aborted or cut
    }
    this.ended = true;
    this.notify();
  }

  private parse(block: string): void {
    const event: SseEvent = { event: "message", id: undefined, data: "" };
    const data: string[] = [];
    let fields = 0;
    for (const line of block.split("\n")) {
      if (line.startsWith(":")) {
        this.comments++;
        continue;
      }
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
      fields++;
      if (field === "event") event.event = value;
      else if (field === "id") event.id = value;
      else if (field === "data") data.push(value);
    }
    if (fields === 0 || data.length === 0) return;
    event.data = data.join("\n");
    this.events.push(event);
  }

  private notify(): void {
    for (const wake of this.waiters.splice(0)) wake();
  }

  /** Resolves once `done` holds (checked on every chunk); rejects after `ms`. */
  async until(done: (reader: SseReader) => boolean, ms = 5000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!done(this)) {
      if (this.ended) throw new Error(`stream ended; events: ${JSON.stringify(this.events)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out; events: ${JSON.stringify(this.events)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  messages(): Array<{ seq: number; text: string; nick: string }> {
    return this.events.filter((e) => e.event === "message").map((e) => JSON.parse(e.data));
  }

  close(): void {
    this.abort.abort();
  }
}

export type { Claims };

/** A new webhook endpoint made through the admin API; resolves with its secret and id. */
export const createEndpoint = async (
  port: number,
  endpoint: { url: string; rooms: string[]; events?: string[] },
): Promise<{ secret: string; id: string }> => {
  const body = { events: ["message.created"], ...endpoint };
  const answer = await call(port, "POST", "/admin/api/webhooks", { auth: ADMIN_TOKEN, body });
  if (answer.status !== 201) throw new Error(`endpoint not created: ${answer.status} ${JSON.stringify(answer.body)}`);
  return { secret: answer.body.secret, id: answer.body.id };
};
