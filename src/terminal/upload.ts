import { openAsBlob } from "node:fs";
import { stat } from "node:fs/promises";
import { basename } from "node:path";
import type { Ack, Room } from "parley-client";

/**
 * `/upload PATH`: the file goes as it is read from disk (a Blob backed by the file, never read whole
 * into memory here), with its own name; the server tells its type from the bytes.
 */
export const uploadPath = async (room: Room, path: string): Promise<Ack> => {
  const info = await stat(path).catch(() => undefined);
  if (!info?.isFile()) throw new Error(`${path}: no such file`);
  const { ack } = await room.upload(await openAsBlob(path), { name: basename(path) });
  return ack;
};
