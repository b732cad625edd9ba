/** What the heartbeat needs of a connection. */
export interface Beating {
  /**
   * Whether the peer showed life (a pong, a message, any byte) since the last call; the first
   * call says yes. Read off the socket, so no listener and no write per message is needed.
   */
  heard(): boolean;
  ping(): void;
  /** The peer missed its deadline: drop it (its leave is announced by the usual close path). */
  expire(): void;
}

/**
 * Protocol-level pings at a fixed interval. A peer that has not answered the previous ping
 * (nor sent anything) when the next one is due is expired, so a half-open TCP connection is
 * gone within two intervals: at most one to be pinged, one to miss the pong.
 */
export class Heartbeat {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly intervalMs: number,
    private readonly peers: () => Iterable<Beating>,
  ) {}

  start(): void {
    if (this.intervalMs <= 0 || this.timer) return;
    this.timer = setInterval(() => this.beat(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private beat(): void {
    for (const peer of [...this.peers()]) {
      if (!peer.heard()) {
        peer.expire();
        continue;
      }
      peer.ping();
    }
  }
}
