import { existsSync, readFileSync } from "node:fs";

/**
 * The Cookbook chapter's own browser client: the `*html*` string of its "All The Code" listing,
 * with the Lisp string escapes (\") undone. Kept verbatim in test/fixtures/cookbook-page.html.
 */
export const COOKBOOK_PAGE = new URL("../fixtures/cookbook-page.html", import.meta.url);

/** Where the chapter itself may be (a checkout beside shared/), to confirm the fixture is still verbatim. */
export const CHAPTER_CANDIDATES = [
  new URL("../../../shared/seed/websockets-cookbook.md", import.meta.url),
  new URL("../../../../shared/seed/websockets-cookbook.md", import.meta.url),
];

/** Pulls the page out of the chapter's final listing. */
export const extractCookbookPage = (chapter: string): string => {
  const listing = chapter.slice(chapter.indexOf("## All The Code"));
  const match = /\(defvar \*html\*\n {2}"([\s\S]*?)"\)\n/.exec(listing);
  if (!match?.[1]) throw new Error("no *html* in the chapter's All The Code listing");
  return match[1].replaceAll('\\"', '"');
};

export const chapterText = (): string | undefined => {
  const found = CHAPTER_CANDIDATES.find((url) => existsSync(url));
  return found ? readFileSync(found, "utf8") : undefined;
};
