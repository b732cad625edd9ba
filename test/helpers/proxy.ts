import type { AddressInfo } from "node:net";
import { createServer, type Socket } from "node:net";

/** A loopback TCP proxy to a Parley port, for cutting connections the way a network does. */
export interface TcpProxy {
  readonly port: number;
  /** Refuse new connections (accept, then destroy at once) while true. */
  refuse: boolean;
  /** Swallow everything the server sends while true (the client's frames still get through). */
  dropDownstream: boolean;
  /** Destroys every open connection, both sides, without a close handshake. */
  cutAll(): void;
  close(): Promise<void>;
}

export const startProxy = async (targetPort: number, host = "127.0.0.1"): Promise<TcpProxy> => {
  const open = new Set<Socket>();
  const server = createServer((client) => {
    if (proxy.refuse) {
      client.destroy();
      return;
    }
    const upstream: Socket = new (client.constructor as typeof Socket)();
    upstream.connect(targetPort, host);
    open.add(client);
    open.add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on("data", (chunk) => upstream.write(chunk));
    upstream.on("data", (chunk) => {
      if (!proxy.dropDownstream) client.write(chunk);
    });
    for (const socket of [client, upstream]) {
      socket.on("error", drop);
      socket.on("close", drop);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const proxy: TcpProxy = {
    port: (server.address() as AddressInfo).port,
    refuse: false,
    dropDownstream: false,
    cutAll: () => {
      for (const socket of open) socket.destroy();
      open.clear();
    },
    close: () => {
      proxy.cutAll();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
  return proxy;
};
