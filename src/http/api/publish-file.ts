import type { FileRef } from "../../chat/message.ts";
import type { FileAttachments } from "../../service/conversation/attach.ts";
import type { AppendResult } from "../../store/history-store.ts";
import { Problem } from "./problem.ts";

/**
 * `POST /rooms/{room}/messages` with `file`: the key's own upload for this room, reserved for this
 * publish (a retry with the same Idempotency-Key may reserve it again), stored with the message.
 */
export const publishWithFile = async (
  files: FileAttachments | undefined,
  keyId: string,
  room: string,
  fileId: string | undefined,
  cid: string | undefined,
  publish: (file: FileRef | undefined) => Promise<AppendResult>,
): Promise<AppendResult> => {
  if (fileId === undefined) return publish(undefined);
  if (!files) throw new Problem(503, "unavailable", "This server takes no files.");
  const claimed = await files.claim(fileId, `key:${keyId}`, room, cid);
  if (claimed === "not_found") {
    throw new Problem(404, "file_not_found", `No upload ${fileId} of this key for ${room}: upload it there first.`);
  }
  if (claimed === "used") throw new Problem(409, "file_used", "This upload is in a message already.");
  let result: AppendResult | undefined;
  try {
    result = await publish(claimed);
    return result;
  } finally {
    // A duplicate settled with its first publish; release is a no-op once attached.
    await files.settle(fileId, result && !result.conflict ? result.message.seq : null).catch(() => {});
  }
};
