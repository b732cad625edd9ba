import { parseTextLine } from "../chat/commands.ts";
import { isEmoji } from "../chat/emoji.ts";
import { ParleyError } from "../chat/errors.ts";
import { decodeClientFrame } from "../protocol/json.ts";
import type { ChatService } from "./chat-service.ts";
import type { Session } from "./session.ts";

/** One text frame from a client, in either mode, turned into a service call. */
export const handleFrame = (service: ChatService, session: Session, data: string): void => {
  // The closure only while the session holds its frames (rare): none per frame otherwise.
  if (session.inbox !== undefined && service.defer(session, () => handleFrame(service, session, data))) return;
  if (session.member.mode === "text") {
    handleTextLine(service, session, data);
    return;
  }
  let frame: ReturnType<typeof decodeClientFrame>;
  try {
    frame = decodeClientFrame(data);
  } catch (error) {
    // With the cid it carried (even ""), so the sender can tell which of its sends was refused.
    session.fail(error, { cid: cidOf(data) });
    return;
  }
  const home = session.link.info.room;
  switch (frame.type) {
    case "send":
      service.say(session, frame.room ?? home, frame.text, frame.cid, frame.replyTo, frame.file);
      return;
    case "upload_ticket":
      service.background("upload_ticket", service.uploadTicket(session, frame.room, frame.cid));
      return;
    case "edit":
      service.change(session, frame.room, { kind: "edit", target: frame.seq, text: frame.text }, frame.cid);
      return;
    case "delete":
      service.change(session, frame.room, { kind: "delete", target: frame.seq }, frame.cid);
      return;
    case "react":
      if (!isEmoji(frame.emoji)) {
        const why = '"emoji" must be one emoji as Unicode lists them (👍, 👍🏽, 🇫🇷), not text or several.';
        session.fail(new ParleyError("bad_request", why), { cid: frame.cid, room: frame.room });
        return;
      }
      service.change(
        session,
        frame.room,
        { kind: "react", target: frame.seq, emoji: frame.emoji, on: frame.on },
        frame.cid,
      );
      return;
    case "nick":
      service.background("rename", service.rename(session, frame.nick, frame.reconnectKey));
      return;
    case "join":
      service.background("join", service.join(session, frame.room, frame.since, frame.limit));
      return;
    case "leave":
      service.leave(session, frame.room);
      return;
    case "who":
      service.background("who", service.who(session, frame.room ?? home));
      return;
    case "history":
      service.background("history", service.history(session, frame.room, frame.before, frame.limit));
      return;
    case "auth":
      service.background("refresh", service.refresh(session, frame.token));
      return;
    case "typing":
      service.typing(session, frame.room ?? home);
      return;
    case "read":
      service.background("read", service.markRead(session, frame.room, frame.seq));
      return;
    case "search":
      service.background("search", service.search(session, frame));
      return;
    case "ping":
      // Answered here, in its turn: a pong says the connection and this node's loop are alive.
      session.reply(frame.id === undefined ? { type: "pong" } : { type: "pong", id: frame.id });
      return;
  }
};

const handleTextLine = (service: ChatService, session: Session, line: string): void => {
  const command = parseTextLine(line);
  const room = session.link.info.room;
  if (command.kind === "say") service.say(session, room, command.text, undefined);
  else if (command.kind === "nick") service.background("rename", service.rename(session, command.nick));
  else service.background("who", service.who(session, room));
};

export const binaryRefused = new ParleyError("binary_unsupported", "Binary frames are not supported; send text.");

/**
 * A frame over the rate with the connection's hold full: not handled, answered with
 * `rate_limited` (and its `cid`, if it had one). Text clients are closed instead (socket-events.ts).
 */
export const rateLimited = (session: Session, data: string | undefined): void => {
  const error = new ParleyError(
    "rate_limited",
    "Too many of your messages are already waiting for the rate limit; this one was not handled. Send it again, slower.",
  );
  session.fail(error, { cid: session.member.mode === "json" ? cidOf(data) : undefined });
};

const cidOf = (data: string | undefined): string | undefined => {
  if (data === undefined || !data.includes('"cid"')) return undefined;
  try {
    const cid = (JSON.parse(data) as { cid?: unknown }).cid;
    return typeof cid === "string" ? cid : undefined;
  } catch {
    return undefined;
  }
};
