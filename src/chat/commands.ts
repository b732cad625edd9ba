/** What a text-mode (Cookbook) line means. Anything that is not a known command is said as is. */
export type TextCommand = { kind: "say"; text: string } | { kind: "nick"; nick: string } | { kind: "who" };

export const parseTextLine = (line: string): TextCommand => {
  if (line.startsWith("/nick ")) return { kind: "nick", nick: line.slice(6).trim() };
  if (line === "/who") return { kind: "who" };
  return { kind: "say", text: line };
};
