import type { IncomingMessage, ServerResponse } from "node:http";
import { getRequestListener } from "@hono/node-server";
import { createRoute, z } from "@hono/zod-openapi";
import type { Logger } from "../../log.ts";
import {
  freshState,
  newEndpointId,
  newWebhookSecret,
  type WebhookEndpoint,
  type WebhookStore,
} from "../../webhooks/endpoints.ts";
import type { WebhookStats } from "../../webhooks/stats.ts";
import type { AdminGateOptions } from "../admin-gate.ts";
import { adminApp } from "./admin-app.ts";
import { Problem } from "./problem.ts";
import { EndpointView, NewEndpoint, ProblemSchema } from "./schemas.ts";

export interface AdminWebhooksOptions extends AdminGateOptions {
  webhooks: WebhookStore;
  stats: WebhookStats;
  log: Logger;
  now?: () => number;
}

const problem = (description: string) => ({
  description,
  content: { "application/problem+json": { schema: ProblemSchema } },
});

const IdParam = z.object({ id: z.string().min(1).max(64) });

/** `/admin/api/webhooks`: an administrator registers, lists, disables, enables and deletes endpoints. */
export const createAdminWebhooks = (options: AdminWebhooksOptions) => {
  const now = options.now ?? Date.now;
  const { webhooks, stats } = options;
  const view = (endpoint: WebhookEndpoint) => ({ ...endpoint, figures: stats.of(endpoint.id) });
  const audit = (action: string, fields: object) =>
    options.log.info({ event: "admin", action, ...fields }, `admin ${action}`);
  const find = async (id: string): Promise<WebhookEndpoint> => {
    const endpoint = (await webhooks.list()).find((e) => e.id === id);
    if (!endpoint) throw new Problem(404, "bad_request", "No such webhook endpoint.");
    return endpoint;
  };
  const app = adminApp("/admin/api/webhooks", options);

  app.openapi(
    createRoute({
      method: "post",
      path: "/",
      request: { body: { required: true, content: { "application/json": { schema: NewEndpoint } } } },
      responses: {
        201: {
          description: "The endpoint; `secret` (whsec_…) is shown this once",
          content: { "application/json": { schema: EndpointView.extend({ secret: z.string() }) } },
        },
        400: problem("Bad input"),
      },
    }),
    async (c) => {
      const body = c.req.valid("json");
      const secret = newWebhookSecret();
      const endpoint: WebhookEndpoint = { id: newEndpointId(), ...body, createdAt: now(), ...freshState(now()) };
      await webhooks.create(endpoint, secret);
      audit("webhook_create", { id: endpoint.id, url: endpoint.url, rooms: endpoint.rooms, events: endpoint.events });
      return c.json({ ...view(endpoint), secret }, 201);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/",
      responses: {
        200: {
          description: "Every endpoint, with its delivery state and this node's figures",
          content: { "application/json": { schema: z.object({ endpoints: z.array(EndpointView) }) } },
        },
      },
    }),
    async (c) => c.json({ endpoints: (await webhooks.list()).map(view) }, 200),
  );

  app.openapi(
    createRoute({
      method: "patch",
      path: "/{id}",
      request: {
        params: IdParam,
        body: { required: true, content: { "application/json": { schema: z.object({ enabled: z.boolean() }) } } },
      },
      responses: {
        200: { description: "Enabled or disabled", content: { "application/json": { schema: EndpointView } } },
        400: problem("Bad input"),
        404: problem("No such endpoint"),
      },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const { enabled } = c.req.valid("json");
      const endpoint = await find(id);
      // Enabling starts afresh (the failures are forgotten) from where its cursors stand.
      const state = enabled
        ? freshState(now())
        : { ...endpoint, disabledAt: now(), disabledReason: "Disabled by an administrator." };
      if (!(await webhooks.setState(id, state))) throw new Problem(404, "bad_request", "No such webhook endpoint.");
      audit(enabled ? "webhook_enable" : "webhook_disable", { id });
      return c.json(view(await find(id)), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/{id}",
      request: { params: IdParam },
      responses: {
        200: {
          description: "Deleted, with its cursors",
          content: { "application/json": { schema: z.object({ deleted: z.boolean(), id: z.string() }) } },
        },
        404: problem("No such endpoint"),
      },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      if (!(await webhooks.remove(id))) throw new Problem(404, "bad_request", "No such webhook endpoint.");
      stats.forget(id);
      audit("webhook_delete", { id });
      return c.json({ deleted: true, id }, 200);
    },
  );

  const listener = getRequestListener(app.fetch);
  return (req: IncomingMessage, res: ServerResponse): void => {
    void listener(req, res);
  };
};
