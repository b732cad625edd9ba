/**
 * A person's avatar: their initials on a colour that follows from their name, the same on every page; with their
 * picture over them when their token gave one (the server checked it: https: or a small data: image). The picture is
 * loaded without a referrer, and on an error it goes and the initials show.
 */

const pictures = new Map<string, string>();
const SHOWABLE = /^(?:https:\/\/|data:image\/(?:png|jpeg|gif|webp);base64,)/;

/** The picture of `nick` (from the welcome, or a presence event), for avatars drawn from now on. */
export const knowPicture = (nick: string, picture: string): void => {
  if (SHOWABLE.test(picture)) pictures.set(nick, picture);
};

/** A hue in [0, 360) from the name (FNV-1a), so one name always has one colour. */
export const nameHue = (name: string): number => {
  let hash = 0x811c9dc5;
  for (const char of name.toLowerCase()) {
    hash ^= char.codePointAt(0) ?? 0;
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % 360;
};

/** "alice" → "A", "bob-smith" → "BS", "user-4242" → "U4"; an emoji name keeps its first emoji whole. */
export const initials = (name: string): string => {
  const parts = name.split(/[\s._-]+/u).filter(Boolean);
  const first = Array.from(parts[0] ?? name)[0] ?? "?";
  const second = parts.length > 1 ? (Array.from(parts[1] ?? "")[0] ?? "") : "";
  return (first + second).toUpperCase();
};

export const avatar = (name: string): HTMLSpanElement => {
  const span = document.createElement("span");
  span.className = "avatar";
  span.setAttribute("aria-hidden", "true"); // the name is said next to it
  span.textContent = initials(name);
  span.style.setProperty("--hue", String(nameHue(name)));
  const picture = pictures.get(name);
  if (picture !== undefined) {
    const img = document.createElement("img");
    img.alt = "";
    img.referrerPolicy = "no-referrer";
    img.loading = "lazy";
    img.decoding = "async";
    img.addEventListener("error", () => img.remove(), { once: true });
    img.src = picture;
    span.append(img);
  }
  return span;
};
