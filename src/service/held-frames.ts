import type { Session } from "./session.ts";

/**
 * A session's frames wait, in order, while it is not ready for them: before it has its nickname and
 * first room (one presence round trip), and while a rename is under way, so a message sent right
 * behind `nick` is stored under the new name.
 */

/**
 * How many frames wait before the socket stops being read: the rest stay in the kernel and TCP
 * pushes back on the sender, as for its rate (frames already read still join, in order).
 */
export const MAX_HELD_FRAMES = 100;

/** From now on the session's frames wait until `releaseFrames`. */
export const holdFrames = (session: Session): void => {
  session.inbox = [];
};

/**
 * Queues `work` if the session is held: "queued", or "full" when it is queued and the inbox has
 * reached MAX_HELD_FRAMES (stop reading the socket until the release); "run now" when it is not held.
 */
export const deferFrame = (session: Session, work: () => void): "queued" | "full" | "run now" => {
  if (!session.inbox) return "run now";
  session.inbox.push(work);
  return session.inbox.length >= MAX_HELD_FRAMES ? "full" : "queued";
};

/** True while the session holds as many frames as it keeps before reading stops. */
export const heldFull = (session: Session): boolean => (session.inbox?.length ?? 0) >= MAX_HELD_FRAMES;

/** Read through a call: a frame run in between may have set it, which narrowing cannot see. */
const heldFrames = (session: Session): Session["inbox"] => session.inbox;

/**
 * Runs the frames that waited; stops where one of them (a rename) holds the session again, and the
 * rest wait on. `open` false: the connection is gone, and its last frames are dropped, not stored after its leave.
 */
export const releaseFrames = (session: Session, open: boolean): void => {
  const waiting = session.inbox ?? [];
  session.inbox = undefined;
  if (!open) return;
  for (let next = waiting.shift(); next; next = waiting.shift()) {
    next();
    const held = heldFrames(session);
    if (held) {
      held.push(...waiting);
      return;
    }
  }
};
