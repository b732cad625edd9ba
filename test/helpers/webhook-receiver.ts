import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook } from "standardwebhooks";

export interface Received {
  id: string;
  type: string;
  room: string;
  seq: number;
  text: string;
  nick: string;
  /** On a change event (edit, delete, reaction): its kind and the message as it stands. */
  change?: { kind: string; target: { seq: number; text: string; deleted?: true } };
  at: number;
}

/**
 * A webhook endpoint for tests: verifies each request's Standard Webhooks signature with the
 * secret it is given, counts every attempt and each `webhook-id` once. `answer` decides the
 * status (or `"hang"`: never answers).
 */
export class WebhookReceiver {
  readonly attempts: Array<{ id: string; at: number; valid: boolean }> = [];
  /** Verified events, each `webhook-id` once, in arrival order. */
  readonly events: Received[] = [];
  private readonly seen = new Set<string>();
  secret = "";
  answer: () => number | "hang" = () => 204;
  private readonly hanging = new Set<IncomingMessage>();

  private readonly server: Server;

  private constructor(server: Server) {
    this.server = server;
  }

  static async start(): Promise<WebhookReceiver> {
    const server = createServer();
    const receiver = new WebhookReceiver(server);
    server.on("request", (req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (chunk: Buffer) => chunks.push(chunk));
      req.on("end", () => {
        const body = Buffer.concat(chunks).toString("utf8");
        const id = String(req.headers["webhook-id"]);
        let valid = false;
        let payload: { type: string; data: Omit<Received, "id" | "type" | "at"> } | undefined;
        try {
          payload = new Webhook(receiver.secret).verify(body, req.headers as Record<string, string>) as typeof payload;
          valid = true;
        } catch {}
        receiver.attempts.push({ id, at: Date.now(), valid });
        const answer = receiver.answer();
        if (answer === "hang") {
          receiver.hanging.add(req);
          return;
        }
        if (valid && payload && answer >= 200 && answer < 300 && !receiver.seen.has(id)) {
          receiver.seen.add(id);
          const { room, seq, text, nick, change } = payload.data;
          receiver.events.push({ id, type: payload.type, room, seq, text, nick, change, at: Date.now() });
        }
        res.writeHead(valid ? answer : 401).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return receiver;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
  }

  /** Resolves once `done` holds; rejects after `ms`. */
  async until(done: (r: WebhookReceiver) => boolean, ms = 10_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!done(this)) {
      if (Date.now() > deadline) {
        throw new Error(
          `timed out; ${this.attempts.length} attempts, events: ${JSON.stringify(this.events.slice(-5))}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}
