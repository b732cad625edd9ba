import type { Broker, BrokerStats, RoomEvent, RoomEventHandler } from "./broker.ts";

/** The default broker: one process, delivery in the same tick. Single node only. */
export class MemoryBroker implements Broker {
  readonly ordered = true;
  private handler: RoomEventHandler = () => {};
  private published = 0;

  onEvent(handler: RoomEventHandler): void {
    this.handler = handler;
  }

  onResync(): void {
    // nothing is ever lost in one process
  }

  publish(room: string, event: RoomEvent): Promise<void> {
    this.published++;
    this.handler(room, event);
    return Promise.resolve();
  }

  subscribe(): Promise<void> {
    return Promise.resolve();
  }

  unsubscribe(): Promise<void> {
    return Promise.resolve();
  }

  ping(): Promise<void> {
    return Promise.resolve();
  }

  stats(): BrokerStats {
    return { published: this.published, publishFailures: 0, received: 0, reconnects: 0, connected: true };
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
