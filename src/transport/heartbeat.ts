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

/** Peers pinged per event-loop turn. */
const BEAT_SLICE = 250;

/**
 * Protocol-level pings at a fixed interval. A peer that has not answered the previous ping
 * (nor sent anything) when the next one is due is expired, so a half-open TCP connection is
 * gone within two intervals: at most one to be pinged, one to miss the pong.
 */
export class Heartbeat {
  private timer: NodeJS.Timeout | undefined;

  private readonly intervalMs: number;
  private readonly peers: () => Iterable<Beating>;

  constructor(intervalMs: number, peers: () => Iterable<Beating>) {
    this.intervalMs = intervalMs;
    this.peers = peers;
  }

  start(): void {
    if (this.intervalMs <= 0 || this.timer) return;
    this.timer = setInterval(() => this.beat(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /**
   * Each ping is a socket write: 10,000 of them in one go would hold the event loop for tens of
   * milliseconds, delaying every message meanwhile. They go in slices, one per loop turn, so
   * fan-out turns run in between. The first slice too waits for the turn's reads: a beat that
   * came due while the loop was held (a long turn, a GC pause) runs before the sockets are read,
   * and would expire peers whose answers sat unread in the kernel.
   */
  private beat(): void {
    const peers = [...this.peers()];
    let next = 0;
    const slice = () => {
      if (!this.timer) return; // stopped meanwhile
      const end = Math.min(next + BEAT_SLICE, peers.length);
      for (; next < end; next++) {
        const peer = peers[next] as Beating;
        if (peer.heard()) peer.ping();
        else peer.expire();
      }
      if (next < peers.length) setImmediate(slice);
    };
    setImmediate(slice);
  }
}
