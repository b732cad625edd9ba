import { fileTypeFromBuffer, supportedMimeTypes } from "file-type";

/** How many first bytes are kept to tell what a file is (file-type's own advice). */
export const SNIFF_BYTES = 4100;

/** Raster images the server thumbnails and the page may show (from the thumbnail): never SVG. */
export const IMAGE_TYPES = new Set(["image/png", "image/jpeg", "image/gif", "image/webp"]);

// Markup a browser would run if it ever rendered it: file-type reads binary signatures only.
const MARKUP: ReadonlyArray<[RegExp, string]> = [
  [/^<svg[\s>]/i, "image/svg+xml"],
  [/^<\?xml[\s\S]{0,512}<svg[\s>]/i, "image/svg+xml"],
  [/^<(!doctype html|html|head|body|script|iframe|meta|style)[\s>]/i, "text/html"],
  [/^<\?xml/i, "application/xml"],
];

/**
 * What the first bytes are: a binary signature (file-type), markup (HTML, SVG, XML), UTF-8 text,
 * or else `application/octet-stream`. What the uploader claimed plays no part.
 */
export const sniffType = async (head: Uint8Array): Promise<string> => {
  const found = await fileTypeFromBuffer(head);
  // file-type names any XML "application/xml": SVG is XML, and the one that runs script.
  if (found && found.mime !== "application/xml") return found.mime;
  const text = new TextDecoder("utf-8", { fatal: false })
    .decode(head)
    .replace(/^\ufeff/, "")
    .trimStart();
  for (const [pattern, type] of MARKUP) if (pattern.test(text)) return type;
  return looksLikeText(head) ? "text/plain; charset=utf-8" : "application/octet-stream";
};

const looksLikeText = (head: Uint8Array): boolean => {
  if (head.includes(0)) return false;
  try {
    // The last character may be cut by the sniff window: at most 3 bytes of it are left out.
    new TextDecoder("utf-8", { fatal: true }).decode(head.subarray(0, Math.max(0, head.length - 3)));
    return true;
  } catch {
    return false;
  }
};

const ALIASES: Record<string, string> = {
  "image/jpg": "image/jpeg",
  "image/pjpeg": "image/jpeg",
  "text/xml": "application/xml",
};
const baseType = (type: string): string => {
  const base = (type.split(";")[0] ?? "").trim().toLowerCase();
  return ALIASES[base] ?? base;
};

/** Claims that say nothing: browsers send these for what they do not know, curl the form type for any --data. */
const VAGUE = new Set([
  "",
  "application/octet-stream",
  "binary/octet-stream",
  "application/x-unknown",
  "application/x-www-form-urlencoded",
]);

/**
 * A claimed type is a lie when it names another kind of content than the bytes are: "image/png" for
 * a JPEG or for HTML, "text/plain" for HTML. A vague claim, or text for text, is no lie.
 */
export const claimLies = (claimed: string | undefined, sniffed: string): boolean => {
  if (claimed === undefined) return false;
  const said = baseType(claimed);
  const is = baseType(sniffed);
  if (VAGUE.has(said) || said === is) return false;
  // Unknown binary or plain text: only a claim of a format we would have recognised is a lie.
  if (is === "application/octet-stream" || is === "text/plain") {
    return (supportedMimeTypes as ReadonlySet<string>).has(said) || said === "image/svg+xml";
  }
  return true;
};

/** Shown inline by the browser (never markup, never anything that runs). */
export const isSafeInline = (type: string): boolean => IMAGE_TYPES.has(baseType(type));
