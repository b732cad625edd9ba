/**
 * A user's picture, from their token's standard `picture` claim (OpenID Connect): shown by the page as an <img>
 * instead of initials. Only what cannot leak or grow: an `https:` URL (the page loads it without a referrer), or
 * a small `data:` image in a raster format (no SVG). Anything else is ignored, never a reason to refuse the token.
 */

/** The longest `https:` picture URL kept (characters). */
export const MAX_PICTURE_URL = 2048;
/** The largest `data:` picture kept (characters of the URL; about 12 KB of image). */
export const MAX_DATA_PICTURE = 16 * 1024;

const DATA_IMAGE = /^data:image\/(?:png|jpeg|gif|webp);base64,[A-Za-z0-9+/]+={0,2}$/;

/** The claim as a picture the page may show, or undefined. */
export const pictureOf = (claim: unknown): string | undefined => {
  if (typeof claim !== "string") return undefined;
  if (claim.startsWith("data:")) return claim.length <= MAX_DATA_PICTURE && DATA_IMAGE.test(claim) ? claim : undefined;
  if (claim.length > MAX_PICTURE_URL) return undefined;
  try {
    const url = new URL(claim);
    return url.protocol === "https:" && url.username === "" && url.password === "" ? url.href : undefined;
  } catch {
    return undefined;
  }
};
