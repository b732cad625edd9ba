/** A chat message as a sender submits it, before the store gives it a place in its room's order. */
export interface NewMessage {
  room: string;
  nick: string;
  text: string;
  /** Milliseconds since the epoch, from the server's clock. */
  ts: number;
  /** The sender's own id for this message; a repeat with the same id is the same message. */
  cid?: string | undefined;
  /** Who may edit or delete it (`u:<user id>`, `c:<connection>`); kept by the store, never sent. */
  owner?: string | undefined;
  /** The seq of the message this one answers. */
  replyTo?: number | undefined;
  /** Set for a change event (edit, delete, react) rather than a message: see conversation.ts. */
  change?: ChangeRequest | undefined;
  /** An upload this message carries (docs/files.md); the service checks it is the sender's first. */
  file?: FileRef | undefined;
}

/** What a message says of the file it carries: enough to show it; the bytes are at `/files/{id}`. */
export interface FileRef {
  id: string;
  name: string;
  size: number;
  /** The sniffed type, never the one the uploader claimed. */
  type: string;
  /** Raster images the server made a thumbnail of. */
  image?: { width: number; height: number };
}

/** A message with its place in the room: `seq` counts 1, 2, 3… per room with no gap. */
export interface ChatMessage {
  room: string;
  seq: number;
  id: string;
  nick: string;
  text: string;
  ts: number;
  /** The seq of the message this one answers (a reply). */
  replyTo?: number;
  /** When its text was last edited (ms since the epoch). */
  edited?: number;
  /** Taken back: its text is gone from the store (""). */
  deleted?: true;
  /** Reactions in the order they were first made; each with the nicknames that made it. */
  reactions?: Reaction[];
  /** Only on a change event: what changed, and the message it changed as it stands now. */
  change?: Change;
  /** The file it carries (gone once the message is deleted). */
  file?: FileRef;
}

export interface Reaction {
  emoji: string;
  nicks: string[];
}

export type ChangeKind = "edit" | "delete" | "react";

/** A change as a client asks for it: to the message at `target`. */
export interface ChangeRequest {
  kind: ChangeKind;
  target: number;
  /** edit: the new text. */
  text?: string | undefined;
  /** react: the emoji; `on` true adds, false removes, undefined toggles. */
  emoji?: string | undefined;
  on?: boolean | undefined;
  /** delete by an administrator: any message. */
  admin?: boolean | undefined;
}

/** A change event as stored and delivered: its own seq in the room, and the changed message after it. */
export interface Change {
  kind: ChangeKind;
  /** The changed message in its state after this change (or, read back later, its current state). */
  target: ChatMessage;
  /** react: the emoji, and whether it was added (true) or removed. */
  emoji?: string;
  on?: boolean;
}
