import sharp from "sharp";
import type { JsonClient } from "./json.ts";

/** A real PNG of `width`×`height` (a gradient), made by sharp. */
export const pngOf = async (width: number, height: number): Promise<Buffer> => {
  const pixels = Buffer.alloc(width * height * 3);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 7) % 256;
  return sharp(pixels, { raw: { width, height, channels: 3 } })
    .png()
    .toBuffer();
};

let tickets = 0;
/** Asks `client` (a member of `room`) for an upload ticket: the `upload_ticket` event. */
export const ticketFor = async (client: JsonClient, room: string): Promise<{ ticket: string; url: string }> => {
  const cid = `t${++tickets}`;
  client.send({ type: "upload_ticket", room, cid });
  const event = await client.expect((e) => e.cid === cid);
  if (event.type !== "upload_ticket") throw new Error(`no ticket: ${JSON.stringify(event)}`);
  return { ticket: event.ticket as string, url: event.url as string };
};

export interface Uploaded {
  status: number;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: test reads arbitrary JSON answers
  body: any;
}

/** `POST` of `bytes` to the upload route with `authorization` (a `Ticket …` or `Bearer …` value). */
export const upload = async (
  port: number,
  room: string,
  name: string,
  bytes: Uint8Array,
  authorization: string,
  type?: string,
): Promise<Uploaded> => {
  const headers: Record<string, string> = { Authorization: authorization };
  if (type !== undefined) headers["Content-Type"] = type;
  const response = await fetch(
    `http://127.0.0.1:${port}/api/v1/rooms/${encodeURIComponent(room)}/files?name=${encodeURIComponent(name)}`,
    { method: "POST", headers, body: new Blob([new Uint8Array(bytes)]) },
  );
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text === "" ? undefined : JSON.parse(text) };
};
