import { type ApiKey, hasRight, roomMatches } from "../../api-keys/keys.ts";
import { isParleyError } from "../../chat/errors.ts";
import { nickKey, validateNick } from "../../chat/nick.ts";
import type { NameReservations } from "../../store/user-store.ts";
import type { Caller } from "./caller.ts";
import { Problem } from "./problem.ts";

const BOT_PREFIX_KEY = nickKey("bot:");

/** A key that may publish in `room` as a user of the application's (right `publish_as_user`). */
export const checkPublishAsUser = (caller: Caller, room: string): ApiKey => {
  if (caller.kind !== "key" || !hasRight(caller.key, "publish_as_user") || !roomMatches(caller.key.rooms, room)) {
    throw new Problem(403, "forbidden", `This key may not publish as a user in ${room}.`);
  }
  return caller.key;
};

/**
 * The nickname a message published for user `id` shows: their `name`, held to the rules a
 * signed-in user's name is (a valid nickname, never `bot:…`, reserved for the first user id that
 * had it). A name another user holds is refused rather than numbered: the caller chose it.
 */
export const userNick = async (users: NameReservations, user: { id: string; name: string }): Promise<string> => {
  let nick: string;
  try {
    nick = validateNick(user.name);
  } catch (error) {
    throw isParleyError(error) ? new Problem(400, error.code, `user.name: ${error.message}`) : error;
  }
  if (nickKey(nick).startsWith(BOT_PREFIX_KEY)) {
    throw new Problem(400, "bad_nick", "user.name: names starting with bot: are the API keys' own.");
  }
  let owner: string;
  try {
    owner = await users.reserveName(user.id, nick);
  } catch {
    throw new Problem(503, "store_unavailable", "Names could not be checked; try again.");
  }
  if (owner !== user.id) throw new Problem(409, "nick_taken", `The name ${nick} belongs to another user.`);
  return nick;
};
