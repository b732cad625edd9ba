import type { ServerResponse } from "node:http";
import { type Caller, callerId, mayRead } from "./caller.ts";
import { Problem } from "./problem.ts";
import type { ApiOptions } from "./routes.ts";
import { SseStream } from "./sse.ts";

/** Event streams one key (or user) may hold open on a node: each costs a socket and a room subscription. */
export const MAX_STREAMS_PER_CALLER = 16;

/** The open `GET …/events` streams of one node, counted per caller. */
export class EventStreams {
  private readonly openByCaller = new Map<string, number>();

  private readonly options: ApiOptions;

  constructor(options: ApiOptions) {
    this.options = options;
  }

  /** Answers `outgoing` with a stream of `room` from the client's position; the caller may read the room. */
  async open(
    outgoing: ServerResponse,
    caller: Caller,
    room: string,
    lastEventId: string | undefined,
    since: number | undefined,
  ): Promise<void> {
    const { service, store } = this.options;
    const who = callerId(caller);
    const open = this.openByCaller.get(who) ?? 0;
    if (open >= MAX_STREAMS_PER_CALLER) {
      throw new Problem(429, "rate_limited", `${open} event streams are open for this key already; close one.`, {
        "Retry-After": "5",
      });
    }
    // Counted before the awaits below, so streams opened at once cannot pass the cap together.
    this.openByCaller.set(who, open + 1);
    const release = () => {
      const left = (this.openByCaller.get(who) ?? 1) - 1;
      if (left > 0) this.openByCaller.set(who, left);
      else this.openByCaller.delete(who);
    };
    let stream: SseStream | undefined;
    let stop: () => void;
    let members: string[];
    let start: number;
    const first: string[] = [];
    try {
      const position = resumePoint(lastEventId, since);
      const bounds = await store.bounds(room);
      const resumed = position === undefined ? undefined : resumeOf(position, bounds);
      // A position past the room's end (another server's, a reset store) would wait forever: live from the end.
      start = position === undefined || position > bounds.last ? bounds.last : position;
      if (resumed) first.push(`event: resume\ndata: ${JSON.stringify(resumed)}\n\n`);
      members = await service.members.members(room);
      stop = await service.watchRoom(room, (event) => stream?.event(event));
    } catch (error) {
      release();
      throw error;
    }
    if (outgoing.destroyed) {
      release();
      stop(); // gone while the room was being subscribed
      return;
    }
    stream = new SseStream(outgoing, room, store, start, this.options.sse);
    this.options.observe?.stream("opened");
    stream.onClose = (reason) => {
      release();
      stop();
      this.options.observe?.stream(reason);
    };
    stream.stillAllowed = () => this.stillReads(caller, room);
    stream.start(members, first);
  }

  /** An open stream's caller, checked again: the key not revoked, the token not expired, the room still theirs. */
  private async stillReads(caller: Caller, room: string): Promise<boolean> {
    const { access, keys } = this.options;
    if (caller.kind === "user") {
      // The same grace as a WebSocket connection gets past `exp` (the verifier's clock tolerance).
      const until = caller.identity.expiresAt + this.options.service.userAccess.options.clockToleranceMs;
      return until > Date.now() && mayRead(access, caller, room);
    }
    const key = await keys.byHash(caller.hash);
    return key !== undefined && key.revokedAt === null && mayRead(access, { ...caller, key }, room);
  }
}

/**
 * Whether the stream can give everything after `since`, as the WebSocket's `joined.resume` says: not when
 * retention dropped part of the gap, nor when `since` is past the room's end.
 */
const resumeOf = (since: number, bounds: { first: number; last: number }) => {
  const gapLost = since < bounds.last && (bounds.first === 0 || bounds.first > since + 1);
  return { since, complete: !(since > bounds.last || gapLost), first: bounds.first, last: bounds.last };
};

/** `Last-Event-ID` (what a reconnecting EventSource sends) wins over `?since=`. */
const resumePoint = (header: string | undefined, since: number | undefined): number | undefined => {
  if (header === undefined || header === "") return since;
  const seq = Number(header);
  if (!Number.isSafeInteger(seq) || seq < 0) throw new Problem(400, "bad_request", "Last-Event-ID must be a seq.");
  return seq;
};
