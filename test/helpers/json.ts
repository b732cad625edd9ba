import { connect, type TestClient } from "./client.ts";

export type Event = Record<string, unknown> & { type: string };

/** A JSON-protocol (parley.v1) test client: frames parsed, waits by predicate. */
export interface JsonClient {
  readonly raw: TestClient;
  send(frame: Record<string, unknown>): void;
  /** The next event satisfying `match` (frames before it are consumed). */
  expect(match: (event: Event) => boolean, timeoutMs?: number): Promise<Event>;
  /** Waits for the `joined` event of `room` and returns everything received for the room before it. */
  untilJoined(room: string, timeoutMs?: number): Promise<{ history: Event[]; joined: Event }>;
  close(): Promise<void>;
}

/** `token` travels as the `parley.token.<jwt>` subprotocol, next to `parley.v1`. */
export const connectJson = async (url: string, token?: string): Promise<JsonClient> => {
  const raw = await connect(url, token === undefined ? "parley.v1" : ["parley.v1", `parley.token.${token}`]);
  const expect = async (match: (event: Event) => boolean, timeoutMs?: number) =>
    JSON.parse(await raw.nextMatching((f) => match(JSON.parse(f) as Event), timeoutMs)) as Event;
  return {
    raw,
    send: (frame) => raw.send(JSON.stringify(frame)),
    expect,
    untilJoined: async (room, timeoutMs) => {
      const history: Event[] = [];
      const joined = await expect((e) => {
        if (e.type === "history" && e.room === room) history.push(e);
        return e.type === "joined" && e.room === room;
      }, timeoutMs);
      return { history, joined };
    },
    close: () => raw.close(),
  };
};

export const ofType =
  (type: string, fields: Record<string, unknown> = {}) =>
  (event: Event): boolean =>
    event.type === type && Object.entries(fields).every(([k, v]) => event[k] === v);

/** The messages inside a list of `history` events, flattened. */
export const historyMessages = (events: Event[]): Array<Record<string, unknown>> =>
  events.flatMap((e) => e.messages as Array<Record<string, unknown>>);
