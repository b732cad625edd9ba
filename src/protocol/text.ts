/**
 * The Cookbook's plain-text wire, byte for byte: `(format nil "~a: ~a" nick message)` and
 * `(format nil " .... ~a has left." nick)`. Parley's additions use the same ` .... ` prefix.
 */
export const SUBPROTOCOL_NONE = "";

export const textMessage = (nick: string, text: string): string => `${nick}: ${text}`;
export const textLeft = (nick: string): string => ` .... ${nick} has left.`;
export const textRenamed = (from: string, to: string): string => ` .... ${from} is now known as ${to}.`;
export const textWho = (room: string, nicks: readonly string[]): string => ` .... in ${room}: ${nicks.join(", ")}.`;
export const textError = (message: string): string => ` .... error: ${message}`;
