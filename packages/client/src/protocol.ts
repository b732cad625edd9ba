// The wire contract is defined once, by the server (src/protocol, src/chat/message.ts): the client takes what it
// needs from there through this one file. Its build inlines these into dist/index.js and ships their declarations.

export type { ChatMessage } from "../../../src/chat/message.ts";
export { CLOSE, RECONNECT_CODES, shouldReconnect } from "../../../src/protocol/close-codes.ts";
export {
  AUTOJOIN_PARAM,
  type ChangeEvent,
  type ClientFrame,
  type ResumeResult,
  type ServerEvent,
  SUBPROTOCOL_JSON,
} from "../../../src/protocol/json.ts";
