/**
 * The one error type of the domain. `code` is stable and goes on the wire
 * (JSON `error.code`); the message is for humans.
 */
export type ErrorCode =
  | "bad_json"
  | "bad_request"
  | "unknown_type"
  | "binary_unsupported"
  | "bad_nick"
  | "nick_taken"
  | "bad_room"
  | "not_in_room"
  | "already_in_room"
  | "too_many_rooms"
  | "text_too_long"
  | "rate_limited"
  | "cid_conflict"
  | "busy"
  | "store_unavailable"
  | "unavailable"
  | "forbidden"
  | "not_found"
  | "too_many_reactions"
  | "unauthorized"
  | "internal"
  /** Files (docs/files.md). */
  | "too_large"
  | "quota_exceeded"
  | "type_mismatch"
  | "storage_full"
  | "file_not_found"
  | "file_used";

export class ParleyError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = "ParleyError";
    this.code = code;
  }
}

export const isParleyError = (value: unknown): value is ParleyError => value instanceof ParleyError;
