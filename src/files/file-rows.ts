import type { StoredFile } from "./file-store.ts";

/** A file's row as both SQL stores keep it (PostgreSQL answers BIGINT as strings). */
export interface FileRow {
  id: string;
  sha256: string;
  thumb_sha256: string | null;
  name: string;
  size: number | string;
  type: string;
  width: number | null;
  height: number | null;
  room: string;
  owner: string;
  quota_key: string;
  created_at: number | string;
  attached_seq: number | string | null;
  attached_cid: string | null;
}

export const fileOfRow = (row: FileRow): StoredFile => {
  const file: StoredFile = {
    ...{ id: row.id, name: row.name, size: Number(row.size), type: row.type, sha256: row.sha256 },
    ...{ thumbSha256: row.thumb_sha256, room: row.room, owner: row.owner, quotaKey: row.quota_key },
    ...{ createdAt: Number(row.created_at), attachedCid: row.attached_cid },
    attachedSeq: row.attached_seq === null ? null : Number(row.attached_seq),
  };
  if (row.width !== null && row.height !== null) file.image = { width: row.width, height: row.height };
  return file;
};

export const FILE_COLUMNS =
  "id, sha256, thumb_sha256, name, size, type, width, height, room, owner, quota_key, created_at, attached_seq, attached_cid";

export const rowValues = (f: StoredFile) => [
  ...[f.id, f.sha256, f.thumbSha256, f.name, f.size, f.type, f.image?.width ?? null, f.image?.height ?? null],
  ...[f.room, f.owner, f.quotaKey, f.createdAt, f.attachedSeq, f.attachedCid],
];
