import { Problem } from "../http/api/problem.ts";

const MAX_NAME_BYTES = 255;
// Control characters and the bidi overrides that make "gnp.exe" look like "exe.png".
const FORBIDDEN = /[\p{Cc}\u200e\u200f\u202a-\u202e\u2066-\u2069/\\]/u;

/** A file's name as the uploader gave it: NFC, one path segment, printable, at most 255 bytes. */
export const validFileName = (raw: string | null): string => {
  if (raw === null || raw.trim() === "") throw new Problem(400, "bad_request", "?name= is required: the file's name.");
  const name = raw.normalize("NFC").trim();
  if (Buffer.byteLength(name) > MAX_NAME_BYTES) {
    throw new Problem(400, "bad_request", `The name is longer than ${MAX_NAME_BYTES} bytes.`);
  }
  if (FORBIDDEN.test(name) || name === "." || name === "..") {
    throw new Problem(400, "bad_request", "The name may not hold /, \\, control or direction-override characters.");
  }
  return name;
};

/** `Content-Disposition` with an ASCII fallback and the exact name (RFC 6266, RFC 8187). */
export const contentDisposition = (kind: "inline" | "attachment", name: string): string => {
  const fallback = name.replace(/[^\x20-\x7e]|["\\%]/g, "_");
  const exact = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${kind}; filename="${fallback}"; filename*=UTF-8''${exact}`;
};
