import type { Readable } from "node:stream";

/** The longest side of a thumbnail, in pixels. */
export const THUMB_SIZE = 320;
/** Images with more pixels than this are not decoded (a decompression bomb stays a file). */
const MAX_INPUT_PIXELS = 40_000_000;

export interface Thumbnail {
  width: number;
  height: number;
  jpeg: Buffer;
}

type Sharp = typeof import("sharp").default;
let loaded: Promise<Sharp> | undefined;
// Loaded on the first image: a server nobody sends an image to never loads libvips.
const sharp = (): Promise<Sharp> => {
  const once = loaded ?? import("sharp").then((m) => m.default);
  loaded = once;
  return once;
};

/** Thumbnails made at once per node: each may hold a decoded image, so their memory is bounded by this. */
const AT_ONCE = 2;
let running = 0;
const waiting: Array<() => void> = [];
const turn = async (): Promise<() => void> => {
  if (running >= AT_ONCE) await new Promise<void>((resolve) => waiting.push(resolve));
  running++;
  return () => {
    running--;
    waiting.shift()?.();
  };
};

/**
 * The image's size and a small JPEG of it, made by sharp (libvips) from the stored original (a file
 * libvips reads itself, or a stream); undefined when the bytes do not decode as the image they claim to be.
 */
export const makeThumbnail = async (original: Readable | string): Promise<Thumbnail | undefined> => {
  const make = await sharp();
  const done = await turn();
  const options = { limitInputPixels: MAX_INPUT_PIXELS, failOn: "error", sequentialRead: true } as const;
  const decoder = typeof original === "string" ? make(original, options) : make(options);
  if (typeof original !== "string") {
    original.on("error", (error) => decoder.destroy(error));
    original.pipe(decoder);
  }
  try {
    const meta = await decoder.clone().metadata();
    if (!meta.width || !meta.height) return undefined;
    const jpeg = await decoder
      .clone()
      .rotate()
      .resize(THUMB_SIZE, THUMB_SIZE, { fit: "inside", withoutEnlargement: true })
      .flatten({ background: "#ffffff" })
      .jpeg({ quality: 80 })
      .toBuffer();
    // Orientation 5-8 swaps the sides as shown.
    const turned = (meta.orientation ?? 1) >= 5;
    return { width: turned ? meta.height : meta.width, height: turned ? meta.width : meta.height, jpeg };
  } catch {
    return undefined;
  } finally {
    if (typeof original !== "string") original.destroy();
    done();
  }
};
