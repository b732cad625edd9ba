import { ParleyError } from "./errors.ts";

/** The Cookbook's single room: where `/` and `/chat` lead. */
export const DEFAULT_ROOM = "lobby";
export const MAX_ROOM_LENGTH = 64;

const ROOM = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** Throws `bad_room` unless the name is 1–64 of `A-Z a-z 0-9 . _ -`, starting with a letter or digit. */
export const validateRoomName = (room: string): string => {
  if (room.length < 1 || room.length > MAX_ROOM_LENGTH || !ROOM.test(room)) {
    throw new ParleyError(
      "bad_room",
      `A room name has 1 to ${MAX_ROOM_LENGTH} characters from A-Z a-z 0-9 . _ - and starts with a letter or digit.`,
    );
  }
  return room;
};

/** The room a WebSocket URL path selects: `/` and `/chat` are the default room, `/chat/<room>` another. */
export const roomFromPath = (path: string): string => {
  // The usual `/chat/<room>` with a plain name: nothing to split or decode.
  if (path.startsWith("/chat/")) {
    const room = path.slice(6);
    if (room.length <= MAX_ROOM_LENGTH && ROOM.test(room)) return room;
  }
  const clean = path.split("?")[0] ?? "/";
  if (clean === "/" || clean === "" || clean === "/chat" || clean === "/chat/") return DEFAULT_ROOM;
  const match = /^\/chat\/([^/]+)\/?$/.exec(clean);
  if (!match?.[1]) throw new ParleyError("bad_room", `No room at path ${clean}; use /chat/<room>.`);
  let room: string;
  try {
    room = decodeURIComponent(match[1]);
  } catch {
    throw new ParleyError("bad_room", `The room in ${clean} is not valid percent-encoding.`); // e.g. "/chat/%"
  }
  return validateRoomName(room);
};
