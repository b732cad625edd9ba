/** The page's glue for uploads, kept out of main.ts: where a file goes, how its message is sent, what is said. */
import { newCid } from "parley-client";
import type { Alerts } from "./alerts.ts";
import type { Composer } from "./composer.ts";
import type { RoomView } from "./room-view.ts";
import { sendTo } from "./sending.ts";
import type { UploadTicket } from "./upload-request.ts";
import { type UploadHost, Uploads } from "./uploads.ts";

export interface UploadParts {
  composer: Composer;
  alerts: Alerts;
  current: () => RoomView | undefined;
  view: (room: string) => RoomView | undefined;
  online: () => boolean;
  ticket: (room: string) => Promise<UploadTicket>;
}

export const installUploads = (form: HTMLFormElement, dropZone: HTMLElement, page: UploadParts): Uploads => {
  const clearing = new Map<string, ReturnType<typeof setTimeout>>();
  const refusedAt = new Map<string, number>();
  const host: UploadHost = {
    room: () => page.current()?.room.name,
    online: page.online,
    ticket: page.ticket,
    takeCaption: (room) => (page.current()?.room.name === room ? page.composer.take() : ""),
    restoreCaption: (room, text) => page.composer.putBack(room, text),
    send: (room, text, file) => {
      const view = page.view(room);
      if (!view) {
        host.refuse(room, `${file.name} was uploaded, but you left #${room} before it was shared there.`);
        return;
      }
      sendTo(view, { text, cid: newCid(), file: { id: file.id, name: file.name } }, page.online(), {
        keep: true,
      });
    },
    refuse: (room, text, clearAfterMs) => {
      clearTimeout(clearing.get(room));
      refusedAt.set(room, performance.now());
      page.alerts.say(`#${room}: ${text}`, `upload:${room}`);
      // A rate limit ends by itself: its banner goes with it.
      if (clearAfterMs)
        clearing.set(
          room,
          setTimeout(() => host.clearRefusal(room, Number.POSITIVE_INFINITY), clearAfterMs),
        );
    },
    clearRefusal: (room, startedAt) => {
      if ((refusedAt.get(room) ?? 0) > startedAt) return; // said after this upload began: still holds
      clearTimeout(clearing.get(room));
      page.alerts.clear(`upload:${room}`);
    },
  };
  return new Uploads(form, page.composer.input, dropZone, host);
};
