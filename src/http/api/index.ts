import type { IncomingMessage, ServerResponse } from "node:http";
import { getRequestListener } from "@hono/node-server";
import { Counter, Gauge, type Registry } from "prom-client";
import type { ApiObserver, ApiOptions } from "./routes.ts";
import { createApi } from "./routes.ts";

/** `/api/v1` as a node request handler. */
export const createApiHandler = (options: ApiOptions): ((req: IncomingMessage, res: ServerResponse) => void) => {
  const listener = getRequestListener(createApi(options).fetch);
  return (req, res) => {
    void listener(req, res);
  };
};

/**
 * The HTTP API's counts on Parley's registry: requests by route template and status class (no
 * room or key in a label), event streams open and how they ended.
 */
export const apiMetrics = (registry: Registry): ApiObserver => {
  const requests = new Counter({
    name: "parley_api_requests_total",
    help: "HTTP API requests by route template and status class (2xx, 4xx, ...)",
    labelNames: ["route", "status"],
    registers: [registry],
  });
  const streams = new Gauge({
    name: "parley_api_streams_open",
    help: "Server-sent event streams open on this node",
    registers: [registry],
  });
  const ended = new Counter({
    name: "parley_api_streams_closed_total",
    help: "Server-sent event streams ended: by the client, stalled (client read nothing past --sse-stall-ms), store failed",
    labelNames: ["reason"],
    registers: [registry],
  });
  return {
    request: (route, status) => requests.inc({ route, status: `${Math.floor(status / 100)}xx` }),
    stream: (event) => {
      if (event === "opened") streams.inc();
      else {
        streams.dec();
        ended.inc({ reason: event });
      }
    },
  };
};
