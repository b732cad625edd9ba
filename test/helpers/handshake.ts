import { request } from "node:http";

export interface HandshakeResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * Sends a WebSocket upgrade request and reports how it was answered: 101 (then the socket is
 * closed at once) or the refusal's status, headers and body.
 */
export const handshake = (url: string, headers: Record<string, string> = {}): Promise<HandshakeResult> =>
  new Promise((resolve, reject) => {
    const target = new URL(url);
    const req = request({
      host: target.hostname,
      port: target.port,
      path: `${target.pathname}${target.search}`,
      headers: {
        Connection: "Upgrade",
        Upgrade: "websocket",
        "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": Buffer.from("parley-test-key!").toString("base64"),
        ...headers,
      },
      timeout: 5000,
    });
    req.on("upgrade", (res, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode ?? 0, headers: res.headers, body: "" });
    });
    req.on("response", (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        body += chunk;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on("timeout", () => req.destroy(new Error("handshake timed out")));
    req.on("error", reject);
    req.end();
  });
