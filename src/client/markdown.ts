/**
 * A small Markdown subset (bold, italic, strikethrough, `code`, code blocks, links, bare URLs) parsed by markdown-it
 * with raw HTML off, then built as DOM nodes from its tokens: nothing is ever parsed as HTML, so a message can only
 * ever be text, formatting and http(s)/mailto links. Anything the subset does not know stays as its source text.
 */
import MarkdownIt, { type Token } from "markdown-it";

const SAFE_SCHEMES = new Set(["http:", "https:", "mailto:"]);

/** The href a link may have, or null: only absolute http(s)/mailto URLs, as the URL parser reads them. */
export const safeHref = (candidate: string): string | null => {
  try {
    const url = new URL(candidate);
    return SAFE_SCHEMES.has(url.protocol) ? url.href : null;
  } catch {
    return null;
  }
};

const md = new MarkdownIt("zero", { html: false, linkify: true, breaks: true })
  // Not "code" (indented blocks surprise people who indent a chat line), not headings, lists or images.
  .enable(["emphasis", "strikethrough", "backticks", "fence", "link", "autolink", "linkify", "newline", "escape"]);
md.validateLink = (url) => safeHref(url) !== null;
// A bare "example.com" is a link too in linkify's defaults; in chat that catches file names: only with a scheme.
md.linkify.set({ fuzzyLink: false, fuzzyEmail: false });

const TAGS: Record<string, string> = {
  strong_open: "strong",
  em_open: "em",
  s_open: "s",
  paragraph_open: "p",
};

const link = (token: Token): HTMLElement => {
  const href = safeHref(String(token.attrGet("href") ?? ""));
  if (!href) return document.createElement("span"); // validateLink keeps these out; kept inert if one slips by
  const a = document.createElement("a");
  a.href = href;
  a.rel = "noopener noreferrer";
  a.target = "_blank";
  return a;
};

/** Appends the tokens' content under `root`, opening and closing elements as the tokens nest. */
const build = (root: HTMLElement, tokens: Token[]): void => {
  const stack: HTMLElement[] = [root];
  const top = (): HTMLElement => stack[stack.length - 1] ?? root;
  const open = (element: HTMLElement): void => {
    top().append(element);
    stack.push(element);
  };
  for (const token of tokens) {
    const tag = TAGS[token.type];
    if (tag) open(document.createElement(tag));
    else if (token.nesting === -1 && stack.length > 1) stack.pop();
    else if (token.type === "link_open") open(link(token));
    else if (token.type === "inline") build(top(), token.children ?? []);
    else if (token.type === "text") top().append(token.content);
    else if (token.type === "softbreak" || token.type === "hardbreak") top().append(document.createElement("br"));
    else if (token.type === "code_inline") {
      const code = document.createElement("code");
      code.textContent = token.content;
      top().append(code);
    } else if (token.type === "fence") {
      const pre = document.createElement("pre");
      const code = document.createElement("code");
      code.textContent = token.content.replace(/\n$/, "");
      pre.append(code);
      top().append(pre);
    } else if (token.content) top().append(token.content);
  }
};

/**
 * Renders `text` into `parent`. One paragraph (most messages) goes in without a <p>, so a line is a line;
 * several keep their paragraphs.
 */
export const appendMarkdown = (parent: HTMLElement, text: string): void => {
  const tokens = md.parse(text, {});
  const paragraphs = tokens.filter((t) => t.type === "paragraph_open").length;
  const blocks = tokens.filter((t) => t.level === 0 && t.nesting !== -1).length;
  if (paragraphs === 1 && blocks === 1)
    build(
      parent,
      tokens.filter((t) => t.type === "inline"),
    );
  else build(parent, tokens);
};
