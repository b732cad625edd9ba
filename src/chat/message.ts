/** A chat message as a sender submits it, before the store gives it a place in its room's order. */
export interface NewMessage {
  room: string;
  nick: string;
  text: string;
  /** Milliseconds since the epoch, from the server's clock. */
  ts: number;
  /** The sender's own id for this message; a repeat with the same id is the same message. */
  cid?: string | undefined;
}

/** A message with its place in the room: `seq` counts 1, 2, 3… per room with no gap. */
export interface ChatMessage {
  room: string;
  seq: number;
  id: string;
  nick: string;
  text: string;
  ts: number;
}
