/** Frame building: one server text frame per broadcast, at chat-line and larger sizes. */
import { textFrame } from "../../src/protocol/ws-frame.ts";
import { measure } from "./harness.ts";

export const run = async (): Promise<void> => {
  const short = `user-4242: ${"x".repeat(64)}`;
  const medium = "y".repeat(1000);
  const large = "z".repeat(70_000);
  const accented = `user-1: ${"é".repeat(40)}`;
  let sink = 0;
  await measure("frame: 74-byte chat line", () => {
    sink += textFrame(short).length;
  });
  await measure("frame: 2-byte-char line (UTF-8 length)", () => {
    sink += textFrame(accented).length;
  });
  await measure("frame: 1,000 bytes (16-bit length)", () => {
    sink += textFrame(medium).length;
  });
  await measure("frame: 70,000 bytes (64-bit length)", () => {
    sink += textFrame(large).length;
  });
  if (sink < 0) process.stdout.write("");
};
