/**
 * A message on its way: its pending line, the SDK's send (queued in the outbox while offline), the line's end when
 * the server acknowledges it or refuses it. Kept in localStorage until acknowledged when `keep` is set, so a reload
 * while offline still sends it (same cid: stored once). A file is sent as its upload's id: the bytes are stored already.
 */
import type { RoomView } from "./room-view.ts";
import { addPending, type PendingSend, removePending } from "./storage.ts";

export type Outgoing = Omit<PendingSend, "room">;

/** What the pending line shows: the text, and the file it carries. */
const shown = (send: Outgoing): string => {
  if (!send.file) return send.text;
  return send.text === "" ? `📎 ${send.file.name}` : `${send.text}\n\n📎 ${send.file.name}`;
};

export const sendTo = (
  view: RoomView,
  send: Outgoing,
  online: boolean,
  options: { replyTo?: number | undefined; keep?: boolean } = {},
): void => {
  const { cid } = send;
  if (options.keep) addPending({ room: view.room.name, ...send });
  view.addPending(cid, shown(send), online);
  const extra = {
    ...(options.replyTo === undefined ? {} : { replyTo: options.replyTo }),
    ...(send.file ? { file: send.file.id } : {}),
  };
  view.room.send(send.text, { cid, ...extra }).then(
    (ack) => {
      removePending(cid);
      view.acked(cid, ack.seq);
    },
    (error: unknown) => {
      removePending(cid);
      view.failed(cid, error instanceof Error ? error.message : String(error));
    },
  );
};
