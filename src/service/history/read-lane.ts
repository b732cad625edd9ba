import type { Session } from "../session.ts";

/**
 * Runs a session's history reads (`history` requests, join catch-ups) one at a time, in the
 * order they came: one connection never has two pages in the works.
 */
export const inReadLane = (session: Session, task: () => Promise<void>): Promise<void> => {
  const run = (session.readTail ?? Promise.resolve()).then(task);
  const tail = run.then(noop, noop);
  session.readTail = tail;
  void tail.then(() => {
    if (session.readTail === tail) session.readTail = undefined; // idle: nothing kept per connection
  });
  return run;
};

const noop = (): void => {};
