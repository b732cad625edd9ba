import type { Writable } from "node:stream";

const NOTHING = Buffer.alloc(0);

/**
 * Resolves once `socket` has written everything handed to it so far (or has closed, or `deadline`, a
 * Date.now() time, passed). 'drain' comes only after a write the socket refused (past its 16 KiB mark);
 * below it the one event is a write's callback, and writes complete in order: an empty write's callback
 * runs once all before it is written.
 */
export const written = (socket: Writable, deadline: number): Promise<void> =>
  new Promise((resolve) => {
    let waiting = true;
    const done = () => {
      if (!waiting) return;
      waiting = false;
      clearTimeout(timer);
      socket.off("close", done);
      resolve();
    };
    const timer = setTimeout(done, Math.max(0, deadline - Date.now()));
    socket.on("close", done);
    socket.write(NOTHING, done);
  });
