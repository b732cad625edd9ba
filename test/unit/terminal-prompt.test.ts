import assert from "node:assert/strict";
import { createInterface } from "node:readline";
import { PassThrough, Writable } from "node:stream";
import { test } from "node:test";
import { printAbove } from "../../src/terminal/prompt.ts";

/** A terminal stand-in that records what was written to it. */
const fakeTerminal = () => {
  const written: string[] = [];
  const output = Object.assign(
    new Writable({
      write(chunk, _encoding, done) {
        written.push(String(chunk));
        done();
      },
    }),
    { isTTY: true, columns: 80 },
  );
  return { output, written };
};

test("an incoming line is printed above the prompt; the half-typed input is drawn again after it", () => {
  const input = new PassThrough();
  const { output, written } = fakeTerminal();
  const rl = createInterface({ input, output, terminal: true, prompt: "> " });
  rl.prompt();
  rl.write("half typ");
  written.length = 0;
  printAbove(output, rl, "[12:00] peer: hello");
  const screen = written.join("");
  const incoming = screen.indexOf("[12:00] peer: hello\n");
  assert.ok(incoming >= 0, JSON.stringify(screen));
  assert.ok(screen.slice(0, incoming).includes("\x1b[2K"), "the current line is cleared first");
  assert.ok(screen.slice(incoming).includes("> half typ"), "then the prompt and the partial input are redrawn");
  assert.equal(rl.line, "half typ", "what was typed is kept");
  rl.close();
});
