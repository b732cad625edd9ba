/**
 * What a JSON v1 load client reads out of a server frame without parsing it: the event's type
 * (from the bytes after `{"type":"`, which every server here writes first) and the digits after
 * a field name. No string, no object per delivery, as for text mode.
 */

export const JsonKind = {
  Other: 0,
  Message: 1,
  Edit: 2,
  React: 3,
  Ack: 4,
  Error: 5,
} as const;
export type JsonKind = (typeof JsonKind)[keyof typeof JsonKind];

const TYPE_PREFIX = Buffer.from('{"type":"');
export const TEXT_FIELD = Buffer.from('"text":"');
export const CID_FIELD = Buffer.from('"cid":"');
export const SEQ_FIELD = Buffer.from('"seq":');

const at = (buf: Buffer, i: number): number => buf[i] as number;

export const jsonKind = (buf: Buffer, start: number, end: number): JsonKind => {
  if (end - start < 14) return JsonKind.Other;
  for (let i = 0; i < TYPE_PREFIX.length; i++) if (at(buf, start + i) !== TYPE_PREFIX[i]) return JsonKind.Other;
  const t = start + TYPE_PREFIX.length;
  const [a, b, c, d] = [at(buf, t), at(buf, t + 1), at(buf, t + 2), at(buf, t + 3)];
  if (a === 0x6d && b === 0x65 && c === 0x73) return JsonKind.Message; // "mes…", not "men…" (mention)
  if (a === 0x65 && b === 0x64) return JsonKind.Edit; // "ed…", not "er…" (error)
  if (a === 0x65 && b === 0x72) return JsonKind.Error;
  if (a === 0x72 && b === 0x65 && c === 0x61 && d === 0x63) return JsonKind.React; // "reac", not "read"
  if (a === 0x61 && b === 0x63) return JsonKind.Ack;
  return JsonKind.Other;
};

/** The decimal number right after the first `field` in buf[start, end), or -1. */
export const numberAfter = (buf: Buffer, start: number, end: number, field: Buffer): number => {
  const i = buf.indexOf(field, start);
  if (i < 0 || i >= end) return -1;
  let value = 0;
  let digits = 0;
  for (let j = i + field.length; j < end; j++) {
    const digit = at(buf, j) - 0x30;
    if (digit < 0 || digit > 9) break;
    value = value * 10 + digit;
    digits++;
  }
  return digits > 0 ? value : -1;
};

/** Whether an ack's `cid` is a message's (`<µs>-s<n>`, as `RawClient` writes them), not an edit's or reaction's. */
export const isMessageAck = (buf: Buffer, start: number, end: number): boolean => {
  const i = buf.indexOf(CID_FIELD, start);
  if (i < 0 || i >= end) return false;
  let j = i + CID_FIELD.length;
  while (j < end && at(buf, j) >= 0x30 && at(buf, j) <= 0x39) j++;
  return at(buf, j) === 0x2d && at(buf, j + 1) === 0x73; // "-s"
};
