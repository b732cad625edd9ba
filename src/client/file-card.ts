/**
 * A shared file in a message (its `file` field, docs/files.md): an image as the server's thumbnail, a link to the
 * original; anything else (and SVG, HTML: never drawn inline) as a card with an icon by kind, name, size and a
 * download link. The original is never decoded by the page: the thumbnail is the server's re-encoded copy.
 */

export interface SharedFile {
  id: string;
  name: string;
  size: number;
  /** The type the server sniffed (never the uploader's claim). */
  type: string;
  /** Set by the server for an image it could read (it made a thumbnail). */
  image?: { width: number; height: number };
  /** Where the server says the original and the thumbnail are, when it gives them (e.g. signed for a private room). */
  url?: string;
  thumb?: string;
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null;

/** The message's file, if it has a well-formed one; anything else is not drawn (a message's text is shown anyway). */
export const fileOf = (message: unknown): SharedFile | undefined => {
  const file = isRecord(message) ? message.file : undefined;
  if (!isRecord(file)) return undefined;
  const { id, name, size, type, image, url, thumb } = file;
  if (typeof id !== "string" || !/^[A-Za-z0-9_-]{1,128}$/.test(id)) return undefined;
  if (typeof name !== "string" || typeof size !== "number" || !(size >= 0)) return undefined;
  const shared: SharedFile = { id, name, size, type: typeof type === "string" ? type : "application/octet-stream" };
  if (isRecord(image) && typeof image.width === "number" && typeof image.height === "number") {
    if (image.width > 0 && image.height > 0) shared.image = { width: image.width, height: image.height };
  }
  if (typeof url === "string" && url.startsWith("/")) shared.url = url;
  if (typeof thumb === "string" && thumb.startsWith("/")) shared.thumb = thumb;
  return shared;
};

const UNITS = ["kB", "MB", "GB", "TB"];

/** "812 B", "12 kB", "1.4 MB": decimal units, as the server's text line (src/chat/file-size.ts) and file managers say them. */
export const formatSize = (bytes: number): string => {
  if (bytes < 1000) return `${bytes} B`;
  let value = bytes;
  let unit = "B";
  for (const next of UNITS) {
    if (value < 1000) break;
    value /= 1000;
    unit = next;
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${unit}`;
};

export type FileKind = "image" | "video" | "audio" | "pdf" | "archive" | "text" | "code" | "document" | "other";

const EXTENSION_KINDS: Record<string, FileKind> = {
  pdf: "pdf",
  zip: "archive",
  gz: "archive",
  tgz: "archive",
  tar: "archive",
  "7z": "archive",
  rar: "archive",
  xz: "archive",
  bz2: "archive",
  txt: "text",
  log: "text",
  md: "text",
  csv: "text",
  json: "code",
  js: "code",
  ts: "code",
  py: "code",
  sh: "code",
  html: "code",
  htm: "code",
  svg: "code",
  xml: "code",
  css: "code",
  doc: "document",
  docx: "document",
  odt: "document",
  xls: "document",
  xlsx: "document",
  ods: "document",
  ppt: "document",
  pptx: "document",
  odp: "document",
};

export const extensionOf = (name: string): string => {
  const dot = name.lastIndexOf(".");
  return dot > 0 && dot < name.length - 1 ? name.slice(dot + 1).toLowerCase() : "";
};

/** What the card's icon shows: by the sniffed type first, by the name's extension for what a type does not tell. */
export const fileKind = (type: string, name: string): FileKind => {
  const mime = type.toLowerCase().split(";")[0]?.trim() ?? "";
  const extension = extensionOf(name);
  // SVG is an image to a browser but a program to us: a card, like HTML.
  if (mime === "image/svg+xml" || extension === "svg") return "code";
  if (mime.startsWith("image/")) return "image";
  if (mime.startsWith("video/")) return "video";
  if (mime.startsWith("audio/")) return "audio";
  if (mime === "application/pdf") return "pdf";
  return EXTENSION_KINDS[extension] ?? (mime.startsWith("text/") ? "text" : "other");
};

/** Raster types the server thumbnails; only these are drawn inline, and only from the thumbnail. */
const INLINE_IMAGES = new Set(["image/png", "image/jpeg", "image/gif", "image/webp", "image/avif"]);

export const showsInline = (file: SharedFile): boolean =>
  file.image !== undefined && INLINE_IMAGES.has(file.type.toLowerCase().split(";")[0]?.trim() ?? "");

/** The box the thumbnail is drawn in, reserved before it loads so the log does not jump: at most 320 × 240. */
export const thumbBox = (image: { width: number; height: number }, max = { width: 320, height: 240 }) => {
  const scale = Math.min(1, max.width / image.width, max.height / image.height);
  return { width: Math.max(1, Math.round(image.width * scale)), height: Math.max(1, Math.round(image.height * scale)) };
};

export const originalUrl = (file: SharedFile): string => file.url ?? `/files/${encodeURIComponent(file.id)}`;
export const thumbUrl = (file: SharedFile): string => file.thumb ?? `/files/${encodeURIComponent(file.id)}/thumb`;

/**
 * A private room's file is served only with the reader's token (docs/files.md: `?token=`, as an `<img>` sends no
 * header). The page's own requests carry it; a link keeps a plain address (copied, it gives no one your token) and
 * gets the token only as it is followed.
 */
export const withToken = (url: string, token: string): string =>
  token === "" ? url : `${url}${url.includes("?") ? "&" : "?"}token=${encodeURIComponent(token)}`;

let currentToken: () => string = () => "";
/** Where the page's token comes from (sign-in.ts); unset, files are fetched without one. */
export const useFileToken = (token: () => string): void => {
  currentToken = token;
};

/** The link's address carries the token only while it is being followed (click, Enter, middle click). */
const tokenOnFollow = (link: HTMLAnchorElement): void => {
  const plain = link.href;
  const follow = (): void => {
    link.href = withToken(plain, currentToken());
    setTimeout(() => {
      link.href = plain;
    }, 0);
  };
  link.addEventListener("click", follow);
  link.addEventListener("auxclick", follow);
};

const ICON_LABELS: Record<FileKind, string> = {
  image: "IMG",
  video: "VID",
  audio: "AUD",
  pdf: "PDF",
  archive: "ZIP",
  text: "TXT",
  code: "</>",
  document: "DOC",
  other: "FILE",
};

const KIND_NAMES: Record<FileKind, string> = {
  image: "Image",
  video: "Video",
  audio: "Audio",
  pdf: "PDF document",
  archive: "Archive",
  text: "Text file",
  code: "Code or markup",
  document: "Document",
  other: "File",
};

const downloadLink = (file: SharedFile): HTMLAnchorElement => {
  const link = document.createElement("a");
  link.className = "file-download";
  link.href = originalUrl(file);
  link.download = file.name; // the server's Content-Disposition says the same; this keeps it a download in any case
  link.textContent = "Download";
  link.setAttribute("aria-label", `Download ${file.name} (${formatSize(file.size)})`);
  tokenOnFollow(link);
  return link;
};

/** An image: its thumbnail, a click opens the original in a new tab (the server serves it as a safe image or a download). */
const imagePreview = (file: SharedFile, image: { width: number; height: number }): HTMLElement => {
  const figure = document.createElement("figure");
  figure.className = "file-image";
  const open = document.createElement("a");
  open.href = originalUrl(file);
  open.target = "_blank";
  open.rel = "noopener noreferrer";
  open.setAttribute(
    "aria-label",
    `Open ${file.name} (${formatSize(file.size)}, ${image.width} × ${image.height}) in a new tab`,
  );
  const img = document.createElement("img");
  const box = thumbBox(image);
  img.src = withToken(thumbUrl(file), currentToken());
  img.alt = file.name;
  img.width = box.width;
  img.height = box.height;
  img.loading = "lazy";
  img.decoding = "async";
  tokenOnFollow(open);
  open.append(img);
  const caption = document.createElement("figcaption");
  const name = document.createElement("span");
  name.className = "file-name";
  name.textContent = file.name;
  caption.append(name, ` · ${formatSize(file.size)} · `, downloadLink(file));
  figure.append(open, caption);
  return figure;
};

/** Any other file: icon by kind, name, size and kind, a download link. */
const card = (file: SharedFile): HTMLElement => {
  const kind = fileKind(file.type, file.name);
  const box = document.createElement("div");
  box.className = "file-card";
  box.dataset.kind = kind;
  const icon = document.createElement("span");
  icon.className = "file-icon";
  icon.setAttribute("aria-hidden", "true");
  icon.textContent = ICON_LABELS[kind];
  const about = document.createElement("span");
  about.className = "file-about";
  const name = document.createElement("span");
  name.className = "file-name";
  name.textContent = file.name;
  name.title = file.name;
  const details = document.createElement("span");
  details.className = "file-details";
  details.textContent = `${formatSize(file.size)} · ${KIND_NAMES[kind]}`;
  about.append(name, details);
  box.append(icon, about, downloadLink(file));
  return box;
};

/** What a message shows of its file. */
export const fileView = (file: SharedFile): HTMLElement =>
  file.image && showsInline(file) ? imagePreview(file, file.image) : card(file);
