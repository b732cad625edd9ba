import type { Broker, RoomEvent, RoomEventHandler } from "./broker.ts";

/** The default broker: one process, delivery in the same tick. Single node only. */
export class MemoryBroker implements Broker {
  private handler: RoomEventHandler = () => {};

  onEvent(handler: RoomEventHandler): void {
    this.handler = handler;
  }

  publish(room: string, event: RoomEvent): Promise<void> {
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

  close(): Promise<void> {
    return Promise.resolve();
  }
}
