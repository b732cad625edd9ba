import { ParleyError } from "../../chat/errors.ts";
import type { FileRef } from "../../chat/message.ts";
import type { AppendResult } from "../../store/history-store.ts";
import type { Session } from "../session.ts";
import { type AppendHost, appendFrom, ownerOf } from "./append.ts";

/** What the chat asks of files (src/files implements it): tickets, and attaching an upload once. */
export interface FileAttachments {
  readonly maxBytes: number;
  /** A ticket to upload into `room` as `owner`, counted against `quotaKey`. */
  issueTicket(owner: string, quotaKey: string, room: string): Promise<{ ticket: string; expires: number }>;
  /** Reserves the upload for this send (a repeat of the same `cid` may again): the file, or why not. */
  claim(id: string, owner: string, room: string, cid: string | undefined): Promise<FileRef | "not_found" | "used">;
  /** The send was stored at `seq`, or (null) was not: the upload is free again. */
  settle(id: string, seq: number | null): Promise<void>;
}

/** The quota of an anonymous uploader is their address's: a connection or nickname is free to change. */
export const quotaKeyOf = (session: Session): string =>
  session.identity ? `user:${session.identity.id}` : `ip:${session.link.info.ip}`;

/** `upload_ticket`: for a member of the room only, answered with the same cid. */
export const answerUploadTicket = async (
  files: FileAttachments | undefined,
  session: Session,
  room: string,
  cid: string,
): Promise<void> => {
  if (!files || files.maxBytes === 0) {
    session.fail(new ParleyError("unavailable", "This server takes no files."), { cid, room });
    return;
  }
  if (!session.member.rooms.has(room)) {
    session.fail(new ParleyError("not_in_room", `You are not in ${room}; join it first.`), { cid, room });
    return;
  }
  try {
    const { ticket, expires } = await files.issueTicket(ownerOf(session), quotaKeyOf(session), room);
    const url = `/api/v1/rooms/${encodeURIComponent(room)}/files`;
    session.reply({ type: "upload_ticket", room, cid, ticket, url, max_bytes: files.maxBytes, expires });
  } catch {
    session.fail(new ParleyError("store_unavailable", "No ticket could be made; try again."), { cid, room });
  }
};

/** `send` with `file`: the upload is the sender's and unused (or used by this very send), then stored with it. */
export const sendWithFile = async (
  host: AppendHost,
  files: FileAttachments | undefined,
  session: Session,
  input: { room: string; text: string; cid: string | undefined; replyTo: number | undefined },
  fileId: string,
): Promise<AppendResult | undefined> => {
  const { room, cid } = input;
  if (!session.member.rooms.has(room)) return appendFrom(host, session, input); // refused there, as any send
  if (!files) {
    session.fail(new ParleyError("unavailable", "This server takes no files."), { cid, room });
    return undefined;
  }
  let claimed: FileRef | "not_found" | "used";
  try {
    claimed = await files.claim(fileId, ownerOf(session), room, cid);
  } catch {
    session.fail(new ParleyError("store_unavailable", "The message was not saved; send it again."), { cid, room });
    return undefined;
  }
  if (claimed === "not_found") {
    const why = `No upload ${fileId} of yours for ${room}: upload it there first (it is kept an hour unsent).`;
    session.fail(new ParleyError("file_not_found", why), { cid, room });
    return undefined;
  }
  if (claimed === "used") {
    session.fail(new ParleyError("file_used", "This upload is in a message already; upload it again."), { cid, room });
    return undefined;
  }
  const result = await appendFrom(host, session, { ...input, file: claimed });
  // A duplicate (undefined too) settled with its first send; release is a no-op once attached.
  await files.settle(fileId, result ? result.message.seq : null).catch(() => {});
  return result;
};
