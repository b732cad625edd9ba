import { clearLine, createInterface, cursorTo, type Interface, moveCursor } from "node:readline";
import type { TerminalIO } from "./connect.ts";

/**
 * On a terminal, incoming lines are printed above the prompt: the half-typed line is cleared, the
 * incoming line printed, then the prompt and the partial input drawn again, so nobody's typing is overwritten.
 */
export const printAbove = (stream: NodeJS.WritableStream, rl: Interface, line: string): void => {
  clearPrompt(stream);
  stream.write(`${line}\n`);
  rl.prompt(true);
};

/**
 * Removes the line just entered (the terminal's own echo of it): the server's echo of the message is
 * then its only copy, shown once delivered, in the order everyone else sees it.
 */
export const eraseEnteredLine = (stream: NodeJS.WritableStream): void => {
  moveCursor(stream, 0, -1);
  clearLine(stream, 0);
};

/** Wipes the prompt line, e.g. when input ends and no prompt will be redrawn. */
export const clearPrompt = (stream: NodeJS.WritableStream): void => {
  cursorTo(stream, 0);
  clearLine(stream, 0);
};

/** How long, once input ends, to wait for history and echoes before giving up (exit 1). */
export const DRAIN_TIMEOUT_MS = 5000;

/** A line reader; on a terminal, with a prompt that incoming lines are printed above. */
export const lineReader = (io: TerminalIO) => {
  const tty = Boolean((io.input as { isTTY?: boolean }).isTTY && (io.output as { isTTY?: boolean }).isTTY);
  const rl: Interface = tty
    ? createInterface({ input: io.input, output: io.output, terminal: true, prompt: "> " })
    : createInterface({ input: io.input, terminal: false });
  let open = true;
  rl.on("close", () => {
    open = false;
    if (tty) clearPrompt(io.output); // what comes after starts at the left edge, not after "> "
  });
  // Once input is closed there is no prompt left to redraw under the line.
  const show = (stream: NodeJS.WritableStream, line: string) =>
    tty && open ? printAbove(stream, rl, line) : stream.write(`${line}\n`);
  if (tty) rl.prompt();
  return { rl, tty, show };
};
