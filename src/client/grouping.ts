/**
 * Where a message goes in a room's list: a day separator before the first message of each day, and consecutive
 * messages of one person (within GROUP_MS, no notice between) grouped under their first one's name and avatar.
 * Every message keeps its name and time in the DOM (screen readers read each one whole); `continued` only hides them.
 */
import { daySeparator } from "./render.ts";

const GROUP_MS = 5 * 60_000;

const lastDay = (list: HTMLElement): string | undefined => {
  for (let el = list.lastElementChild; el; el = el.previousElementSibling) {
    const day = (el as HTMLElement).dataset.day;
    if (day) return day;
  }
  return undefined;
};

/** Sets `item`'s `continued` from the element before it. */
export const regroup = (item: Element | null): void => {
  if (!(item instanceof HTMLElement) || !item.classList.contains("message")) return;
  const before = item.previousElementSibling;
  const continued =
    before instanceof HTMLElement &&
    before.classList.contains("message") &&
    before.dataset.nick === item.dataset.nick &&
    Number(item.dataset.ts) - Number(before.dataset.ts) < GROUP_MS;
  item.classList.toggle("continued", continued);
};

/** Appends a message (with a day separator if it starts a day) or a notice at the end of `list`. */
export const appendGrouped = (list: HTMLElement, item: HTMLElement): void => {
  const ts = Number(item.dataset.ts);
  if (item.dataset.day && item.dataset.day !== lastDay(list)) list.append(daySeparator(ts));
  list.append(item);
  regroup(item);
};

/** Puts an older page of messages before the ones shown, joining the day and the group they meet. */
export const prependGrouped = (list: HTMLElement, items: HTMLElement[]): void => {
  const page = document.createElement("div");
  for (const item of items) appendGrouped(page, item);
  const first = list.firstElementChild;
  if (first instanceof HTMLElement && first.classList.contains("day") && first.dataset.day === lastDay(page)) {
    first.remove();
  }
  const oldFirst = list.firstElementChild;
  list.prepend(...page.children);
  regroup(oldFirst);
};
