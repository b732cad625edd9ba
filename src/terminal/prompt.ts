import { clearLine, cursorTo, type Interface, moveCursor } from "node:readline";

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
