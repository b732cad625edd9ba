import { handshakeStatus, OPEN, type SocketLike } from "./socket.ts";
import type { Timers, WebSocketConstructor } from "./types.ts";

export interface DialHandlers {
  opened(socket: SocketLike): void;
  message(data: string): void;
  /** The socket ended. `refused`: it never opened; `status`: the HTTP status of the refusal, when known. */
  closed(code: number, reason: string, refused: { status: number | undefined } | undefined): void;
}

export interface Dialing {
  socket: SocketLike;
  /** Forget the socket: none of its events reach the handlers any more. */
  abandon(): void;
  /** The socket opened: the connect timeout no longer applies. */
  settle(): void;
}

/**
 * Opens one WebSocket and routes its events, until it closes or is abandoned. An attempt that has
 * not opened after `timeoutMs` is closed and reported as 1006. Throws when the URL cannot be dialled.
 */
export const dialSocket = (
  WebSocketClass: WebSocketConstructor,
  url: string,
  protocols: string[],
  timers: Timers,
  timeoutMs: number,
  handlers: DialHandlers,
): Dialing => {
  const socket = new WebSocketClass(url, protocols) as SocketLike;
  let live = true;
  let opened = false;
  let status: number | undefined;
  const timer = timers.setTimeout(() => {
    if (!live || socket.readyState === OPEN) return;
    live = false;
    try {
      socket.close();
    } catch {
      // already failing
    }
    handlers.closed(1006, `no connection within ${timeoutMs} ms`, { status: undefined });
  }, timeoutMs);
  const dialing: Dialing = {
    socket,
    abandon: () => {
      live = false;
      timers.clearTimeout(timer);
    },
    settle: () => timers.clearTimeout(timer),
  };
  socket.addEventListener("open", () => {
    opened = true;
    if (live) handlers.opened(socket);
  });
  socket.addEventListener("message", (event) => {
    if (live && typeof event.data === "string") handlers.message(event.data);
  });
  socket.addEventListener("close", (event) => {
    if (!live) return;
    dialing.abandon();
    handlers.closed(event.code ?? 1006, event.reason ?? "", opened ? undefined : { status });
  });
  // A close event follows; Node's `ws` tells the HTTP status of a refused handshake here, browsers never do.
  socket.addEventListener("error", (event) => {
    status = handshakeStatus(event);
  });
  return dialing;
};
