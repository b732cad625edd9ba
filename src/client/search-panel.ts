/**
 * The header's search box and its results panel: room, nick, time and the text with the matching words marked
 * (`marks` ranges become <mark> around Text nodes, never HTML). Choosing a result opens its room, loads the
 * history back to it and highlights it.
 */
import type { ParleyClient, SearchHit } from "parley-client";
import { timeElement } from "./render.ts";
import type { RoomView } from "./room-view.ts";

/** How far back a result is fetched: the SDK keeps the newest 2000 messages of a room. */
const MAX_PAGES = 19;
const PAGE = 100;

export interface SearchDeps {
  /** Puts the room on screen (joining it if need be) and returns its view. */
  showRoom: (room: string) => RoomView;
  say: (text: string) => void;
}

/** The hit's text with each [start, end) range in a <mark>; everything a Text node. */
export const markedText = (text: string, marks: readonly (readonly [number, number])[]): DocumentFragment => {
  const out = document.createDocumentFragment();
  let at = 0;
  for (const [start, end] of [...marks].sort((a, b) => a[0] - b[0])) {
    if (start < at || end <= start || end > text.length) continue; // overlapping or out of range: left plain
    out.append(text.slice(at, start));
    const mark = document.createElement("mark");
    mark.textContent = text.slice(start, end);
    out.append(mark);
    at = end;
  }
  out.append(text.slice(at));
  return out;
};

const joined = (view: RoomView): Promise<void> =>
  view.room.state === "joined" && view.oldestSeq !== undefined
    ? Promise.resolve()
    : new Promise((resolve) => {
        const off = view.room.on("joined", () => {
          off();
          resolve();
        });
      });

/** Loads older pages until `seq` is on screen (or the SDK's window is used up), then highlights it. */
const reveal = async (view: RoomView, seq: number, say: (text: string) => void): Promise<void> => {
  await joined(view);
  for (let page = 0; page < MAX_PAGES && !view.has(seq); page++) {
    const oldest = view.oldestSeq;
    if (oldest === undefined || oldest <= seq || oldest <= 1) break;
    await view.room.history({ before: oldest, limit: PAGE });
  }
  if (!view.highlight(seq)) say("That message is too far back to show here.");
};

export class SearchPanel {
  private readonly input: HTMLInputElement;
  private readonly panel: HTMLElement;
  private readonly heading: HTMLHeadingElement;
  private readonly results: HTMLOListElement;

  private readonly client: ParleyClient;
  private readonly deps: SearchDeps;

  constructor(slot: HTMLElement, client: ParleyClient, deps: SearchDeps) {
    this.client = client;
    this.deps = deps;
    const form = document.createElement("form");
    form.className = "search-form";
    form.setAttribute("role", "search");
    const label = document.createElement("label");
    label.className = "visually-hidden";
    label.htmlFor = "search-input";
    label.textContent = "Search messages";
    this.input = document.createElement("input");
    this.input.id = "search-input";
    this.input.type = "search";
    this.input.placeholder = "Search";
    this.input.maxLength = 256;
    this.input.autocomplete = "off";
    form.append(label, this.input);
    slot.append(form);

    this.panel = document.createElement("section");
    this.panel.className = "search-panel";
    this.panel.hidden = true;
    this.panel.setAttribute("aria-labelledby", "search-heading");
    this.heading = document.createElement("h2");
    this.heading.id = "search-heading";
    const close = document.createElement("button");
    close.type = "button";
    close.className = "quiet";
    close.textContent = "✕";
    close.setAttribute("aria-label", "Close the search results");
    close.addEventListener("click", () => this.close());
    this.results = document.createElement("ol");
    this.results.className = "search-results";
    const top = document.createElement("div");
    top.className = "search-top";
    top.append(this.heading, close);
    this.panel.append(top, this.results);
    document.body.append(this.panel);

    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.search(this.input.value.trim());
    });
    for (const target of [this.input, this.panel]) {
      target.addEventListener("keydown", (event) => {
        if (event.key !== "Escape" || this.panel.hidden) return;
        event.stopPropagation();
        this.close();
      });
    }
  }

  private search(query: string): void {
    if (query === "") {
      this.close();
      return;
    }
    this.heading.textContent = `Searching for “${query}”…`;
    this.results.replaceChildren();
    this.panel.hidden = false;
    this.client.search(query).then(
      ({ hits, next, truncated }) => {
        // One page (the server's 20 best); "+" says there are more: a narrower search finds them.
        const count = `${hits.length}${next ? "+" : ""} result${hits.length === 1 ? "" : "s"}`;
        this.heading.textContent = `${count} for “${query}”${truncated ? " (the newest matches; narrow it for older)" : ""}`;
        this.results.replaceChildren(...hits.map((hit) => this.item(hit)));
      },
      (error: unknown) => {
        this.heading.textContent = `Search failed: ${error instanceof Error ? error.message : String(error)}`;
      },
    );
  }

  private item(hit: SearchHit): HTMLLIElement {
    const li = document.createElement("li");
    const choose = document.createElement("button");
    choose.type = "button";
    choose.className = "search-hit";
    const meta = document.createElement("span");
    meta.className = "hit-meta";
    const room = document.createElement("span");
    room.className = "hit-room";
    room.textContent = `#${hit.room}`;
    const nick = document.createElement("span");
    nick.className = "hit-nick";
    nick.textContent = hit.nick;
    meta.append(room, " · ", nick, " · ", timeElement(hit.ts));
    const text = document.createElement("span");
    text.className = "hit-text";
    text.append(markedText(hit.text, hit.marks));
    choose.append(meta, text);
    choose.addEventListener("click", () => {
      this.close(false);
      reveal(this.deps.showRoom(hit.room), hit.seq, this.deps.say).catch((error: unknown) =>
        this.deps.say(`That message could not be loaded: ${error instanceof Error ? error.message : String(error)}`),
      );
    });
    li.append(choose);
    return li;
  }

  private close(refocus = true): void {
    this.panel.hidden = true;
    if (refocus) this.input.focus();
  }
}
