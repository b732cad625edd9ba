/** Decoding and validating client frames of the JSON protocol, and encoding message events. */
import type { ChatMessage } from "../../src/chat/message.ts";
import { decodeClientFrame, encodeMessage } from "../../src/protocol/json.ts";
import { measure } from "./harness.ts";

export const run = async (): Promise<void> => {
  const send = JSON.stringify({ type: "send", room: "lobby", text: "x".repeat(64), cid: "c-123456" });
  const join = JSON.stringify({ type: "join", room: "lobby", since: 1234, limit: 50 });
  const message: ChatMessage = {
    room: "lobby",
    seq: 1234,
    id: "0d7c3b4e-6a39-4b8e-9d0b-5b9f3e0e2c11",
    nick: "user-4242",
    text: "x".repeat(64),
    ts: 1_750_000_000_000,
  };
  let sink = 0;
  await measure("json: decode + validate send{room,text,cid}", () => {
    sink += decodeClientFrame(send).type.length;
  });
  await measure("json: decode + validate join{room,since,limit}", () => {
    sink += decodeClientFrame(join).type.length;
  });
  await measure("json: encode message event", () => {
    sink += encodeMessage(message).length;
  });
  if (sink < 0) process.stdout.write("");
};
